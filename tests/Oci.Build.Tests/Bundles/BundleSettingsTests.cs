using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Bundles;

/// <summary>One HelloOci copy and one anonymous local registry, shared by the bundle-setting tests (each publishes it again).</summary>
public sealed class BundleSettingsFixture : IDisposable
{
    public TempDirectory Work { get; } = new("bundle-settings");
    public RegistryServer Registry { get; } = new();
    public SampleProject Sample { get; } = new();

    public string BundlePath => Path.Combine(Sample.OutputDirectory, "bundle.json");

    public string InvocationLayout => Path.Combine(Sample.OutputDirectory, "invocation-layout");

    /// <summary>Publishes with ContainerBundle=true, extra properties, and items from a targets file (CustomAfterMicrosoftCommonTargets).</summary>
    public ProcessResult Publish(Dictionary<string, string> properties, string items = "")
    {
        if (File.Exists(BundlePath)) File.Delete(BundlePath);
        var targets = Work.Combine($"items-{Guid.NewGuid():N}.targets");
        File.WriteAllText(targets, $"<Project><ItemGroup>{items}</ItemGroup></Project>");
        properties["ContainerBundle"] = "true";
        properties["CustomAfterMicrosoftCommonTargets"] = targets;
        return Sample.Publish(properties);
    }

    public void Dispose()
    {
        Sample.Dispose();
        Registry.Dispose();
        Work.Dispose();
    }
}

[Collection("Docs, second stream")]   // a publish stream by time: see Integration/PublishCollection.cs
public sealed class BundleSettingsTests(BundleSettingsFixture fixture) : IClassFixture<BundleSettingsFixture>
{
    private static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public void A_non_semver_ContainerBundleVersion_fails_with_OCI4001_and_writes_no_bundle()
    {
        var result = fixture.Publish(new() { ["ContainerBundleVersion"] = "1.0" });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error OCI4001", result.Output);
        Assert.Contains("SemVer needs three numbers, for example 1.0.0", result.Output);
        Assert.False(File.Exists(fixture.BundlePath));
        Assert.Empty(Directory.GetFiles(fixture.Sample.OutputDirectory, ".bundle.json.*"));
    }

    [Fact]
    public void A_ContainerBundleImage_that_cannot_be_resolved_fails_with_OCI4003_and_writes_no_bundle()
    {
        var missing = $"{fixture.Registry.Host}/nothing/here:1";
        var result = fixture.Publish(new(), $"<ContainerBundleImage Include=\"db\" Image=\"{missing}\" />");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error OCI4003", result.Output);
        Assert.Contains(missing, result.Output);
        Assert.False(File.Exists(fixture.BundlePath));
    }

    [Fact]
    public void ContainerBundleImage_and_ContainerBundleInvocationImage_are_resolved_on_their_registry_a_multi_platform_image_as_its_index()
    {
        var host = fixture.Registry.Host;
        // "db": a one-platform image wrapped in an OCI index, put on the registry by skopeo (--all keeps the index).
        var dbLayout = fixture.Work.Combine("db");
        var db = TestImages.Base(fixture.Work.Path, dbLayout, fixture.Work.Combine("cache"), 4096, tag: "plain");
        var index = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{db.Manifest.Digest}\",\"size\":{db.Manifest.Size},\"platform\":{{\"architecture\":\"amd64\",\"os\":\"linux\"}}}}]}}");
        var indexDigest = Sha256(index);
        File.WriteAllBytes(Path.Combine(dbLayout, "blobs", "sha256", indexDigest["sha256:".Length..]), index);
        File.WriteAllText(Path.Combine(dbLayout, "index.json"),
            $"{{\"schemaVersion\":2,\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciIndex}\",\"digest\":\"{indexDigest}\",\"size\":{index.Length},\"annotations\":{{\"org.opencontainers.image.ref.name\":\"17\"}}}}]}}");
        ProcessRunner.Run("skopeo", "copy", "--all", "--dest-tls-verify=false", $"oci:{dbLayout}:17", $"docker://{host}/library/db:17").EnsureSuccess("skopeo copy db");
        // An existing invocation image ("deployer").
        var deployerLayout = fixture.Work.Combine("deployer");
        var deployer = TestImages.Base(fixture.Work.Path, deployerLayout, fixture.Work.Combine("cache"), 1024, tag: "1");
        ProcessRunner.Run("skopeo", "copy", "--dest-tls-verify=false", $"oci:{deployerLayout}:1", $"docker://{host}/tools/deployer:1").EnsureSuccess("skopeo copy deployer");
        if (Directory.Exists(fixture.InvocationLayout)) Directory.Delete(fixture.InvocationLayout, recursive: true);

        fixture.Publish(new() { ["ContainerBundleInvocationImage"] = $"{host}/tools/deployer:1" },
            $"<ContainerBundleImage Include=\"db\" Image=\"{host}/library/db:17\" Description=\"database\" />").EnsureSuccess("publish");

        var bytes = File.ReadAllBytes(fixture.BundlePath);
        Assert.Empty(CnabSchemas.Validate(CnabSchemas.Bundle, Encoding.UTF8.GetString(bytes)));
        using var bundle = JsonDocument.Parse(bytes);
        var dbEntry = bundle.RootElement.GetProperty("images").GetProperty("db");
        Assert.Equal($"{host}/library/db:17@{indexDigest}", dbEntry.GetProperty("image").GetString());
        Assert.Equal(indexDigest, dbEntry.GetProperty("contentDigest").GetString());
        Assert.Equal(index.Length, dbEntry.GetProperty("size").GetInt64());
        Assert.Equal(MediaTypes.OciIndex, dbEntry.GetProperty("mediaType").GetString());
        Assert.Equal("database", dbEntry.GetProperty("description").GetString());
        Assert.True(bundle.RootElement.GetProperty("images").TryGetProperty("hello-oci", out _));

        var invocation = bundle.RootElement.GetProperty("invocationImages")[0];
        Assert.Equal($"{host}/tools/deployer:1@{deployer.Manifest.Digest}", invocation.GetProperty("image").GetString());
        Assert.False(Directory.Exists(fixture.InvocationLayout)); // named, not built
    }

    [Fact]
    public void ContainerBundleRunScript_becomes_the_invocation_images_executable_run()
    {
        var script = fixture.Work.Combine("deploy.sh");
        File.WriteAllText(script, "#!/bin/sh\necho deploying with our own logic \"$CNAB_ACTION\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite); // not executable: the image's copy must be
        fixture.Publish(new() { ["ContainerBundleRunScript"] = script }).EnsureSuccess("publish");

        using var bundle = JsonDocument.Parse(File.ReadAllBytes(fixture.BundlePath));
        var image = bundle.RootElement.GetProperty("invocationImages")[0].GetProperty("image").GetString()!;
        Assert.StartsWith("samples/hello-oci-invocation:1.0.0@sha256:", image);
        var manifestDigest = image[(image.IndexOf('@') + "@sha256:".Length)..];
        var blobs = Path.Combine(fixture.InvocationLayout, "blobs", "sha256");
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(blobs, manifestDigest)));
        var layer = manifest.RootElement.GetProperty("layers").EnumerateArray().Last().GetProperty("digest").GetString()!["sha256:".Length..];
        using var tar = new TarReader(new GZipStream(File.OpenRead(Path.Combine(blobs, layer)), CompressionMode.Decompress));
        TarEntry? run = null;
        while (tar.GetNextEntry(copyData: true) is { } entry)
            if (entry.Name == "cnab/app/run") run = entry;
        Assert.NotNull(run);
        Assert.True(run!.Mode.HasFlag(UnixFileMode.UserExecute | UnixFileMode.OtherExecute));
        using var reader = new StreamReader(run.DataStream!);
        Assert.Equal(File.ReadAllText(script), reader.ReadToEnd());
    }
}
