using System.Text.Json;
using Oci.Build.Tests.Archives;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Hardening;

/// <summary>
/// Two sites' operators (or one, twice) import the same archive into one registry at the same moment (issue 13): two
/// `dotnet oci import` processes race on the same blobs, manifests and tags. Both finish, both write the same site
/// mapping, and the registry holds every image whole.
/// </summary>
public sealed class ConcurrentImportTests(SmallThickArchive small) : IClassFixture<SmallThickArchive>
{
    [Fact]
    public async Task Two_imports_of_one_archive_into_one_registry_at_once_both_finish_and_every_image_is_whole()
    {
        using var registry = new RegistryServer();
        var cli = Path.Combine(AppContext.BaseDirectory, "Oci.Build.Cli.dll");
        Task<ProcessResult> Import(string name) => Task.Run(() => ProcessRunner.Run("dotnet",
            [cli, "import", small.ArchivePath, "--registry", $"{registry.Host}/site", "--relocation-mapping", small.Combine($"{name}.json"), "--quiet"],
            timeout: TimeSpan.FromMinutes(3)));

        var results = await Task.WhenAll(Import("first"), Import("second"));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Output));
        var first = File.ReadAllText(small.Combine("first.json"));
        Assert.Equal(first, File.ReadAllText(small.Combine("second.json")));
        Directory.CreateDirectory(small.Combine("check"));
        foreach (var (original, relocated) in JsonSerializer.Deserialize<Dictionary<string, string>>(first)!)
        {
            // skopeo (not our code) reads every blob of the relocated image and checks it against its digest.
            var copy = ProcessRunner.Run("skopeo", "copy", "--all", "--src-tls-verify=false", $"docker://{relocated}", $"oci:{small.Combine("check", Path.GetFileName(original.Split('@')[0]).Replace(':', '-'))}");
            Assert.True(copy.ExitCode == 0, $"{relocated}: {copy.Output}");
        }
    }
}
