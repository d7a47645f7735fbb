using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Oci.Build.Oci;
using Oci.Build.Tests.Encryption;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;
using FreePort = Oci.Build.Tests.Infrastructure.FreePort;

namespace Oci.Build.Tests.Bundles;

/// <summary>
/// Two real registries: A (anonymous) where the release is published with ContainerRegistry (apps, invocation image and the
/// bundle in cnab-to-oci's form), B (token auth) where it is relocated to, by the publish itself
/// (ContainerRelocationRegistry) and by `dotnet oci relocate` from the pushed bundle.
/// </summary>
public sealed class RelocatedRelease : IDisposable
{
    public const string Password = "relocator-secret-5T";
    private readonly TokenServer _tokens;

    public RelocatedRelease()
    {
        var users = new Dictionary<string, string>(RegistryServer.Users) { ["relocator"] = Password };
        _tokens = new TokenServer(Work.Path, users, (user, repository, requested) => user == "relocator" ? requested.ToList() : []);
        Target = new RegistryServer(RegistryServer.AuthMode.Token, _tokens);
        Release = new SampleProject("AirGapRelease", siblings: PublishedRelease.Apps);
        var project = Release.ProjectFile;
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", """
              <Target Name="ShowRelocation" AfterTargets="OciPublishBundle">
                <Message Importance="high" Text="GeneratedRelocationMapping=@(GeneratedRelocationMapping) %(GeneratedRelocationMapping.Images)" />
                <Message Importance="high" Text="PushedBundle=%(GeneratedBundle.PushedReference) %(GeneratedBundle.IndexDigest)" />
              </Target>
            </Project>
            """));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        PublishOutput = Release.Publish(new Dictionary<string, string>
        {
            ["ContainerRegistry"] = Source.Host,
            ["ContainerRelocationRegistry"] = $"{Target.Host}/site-a",
            ["ContainerThickArchive"] = "true",
        }, Credentials).EnsureSuccess("publish, push and relocate the release").Output;
        stopwatch.Stop();
    }

    public TempDirectory Work { get; } = new("relocation");
    public RegistryServer Source { get; } = new();
    public RegistryServer Target { get; }
    public SampleProject Release { get; }
    public string PublishOutput { get; }

    public Dictionary<string, string?> Credentials => new()
    {
        ["DOTNET_CONTAINER_REGISTRY_UNAME"] = "relocator",
        ["DOTNET_CONTAINER_REGISTRY_PWORD"] = Password,
        ["DOCKER_CONFIG"] = Work.Combine("no-docker-config"),
    };

    public string BundlePath => PublishedRelease.BundlePath(Release);

    public string MappingPath => Path.Combine(Path.GetDirectoryName(BundlePath)!, "relocation-mapping.json");

    public string BundleReference => $"{Source.Host}/samples/air-gap-release-bundle:1.0.0";

    public JsonDocument Bundle() => JsonDocument.Parse(File.ReadAllBytes(BundlePath));

    /// <summary>`dotnet oci` out of process (its credentials come from the environment, which must not leak into other tests).</summary>
    public ProcessResult Oci(IDictionary<string, string?> environment, params string[] arguments) =>
        ProcessRunner.Run(Path.Combine(AppContext.BaseDirectory, "Oci.Build.Cli"), arguments, Work.Path, environment, timeout: TimeSpan.FromMinutes(5));

    /// <summary>The manifest bytes at HOST/REPO@DIGEST, read by skopeo (an independent client), and their sha256.</summary>
    public string RawDigest(string reference, bool target)
    {
        var arguments = new List<string> { "inspect", "--raw", "--tls-verify=false" };
        if (target) arguments.AddRange(["--creds", $"relocator:{Password}"]);
        arguments.Add($"docker://{reference}");
        var raw = ProcessRunner.Run("skopeo", arguments).EnsureSuccess($"skopeo inspect --raw {reference}").StandardOutput;
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(raw.TrimEnd('\n'))));
    }

    public void Dispose()
    {
        Release.Dispose();
        Target.Dispose();
        _tokens.Dispose();
        Source.Dispose();
        Work.Dispose();
    }
}

[Collection("Release publishes")]
public sealed partial class RelocationTests(RelocatedRelease release) : IClassFixture<RelocatedRelease>
{
    [Fact]
    public async Task The_pushed_bundle_has_cnab_to_oci_index_shape_and_every_image_is_in_the_bundle_repository()
    {
        var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{release.BundleReference}").EnsureSuccess("skopeo inspect").StandardOutput;
        var index = JsonDocument.Parse(raw).RootElement;
        Assert.Empty(OciSchemas.Validate(OciSchemas.Index, raw));
        var manifests = index.GetProperty("manifests").EnumerateArray().ToList();
        Assert.Equal(["config", "invocation", "component", "component"],
            manifests.Select(m => m.GetProperty("annotations").GetProperty("io.cnab.manifest.type").GetString()!).ToArray());
        Assert.Equal(["hello-oci", "inventory-worker"], manifests.Skip(2).Select(m => m.GetProperty("annotations").GetProperty("io.cnab.component.name").GetString()!).ToArray());
        var annotations = index.GetProperty("annotations");
        Assert.Equal("contoso.air-gap-release", annotations.GetProperty("org.opencontainers.image.title").GetString());
        Assert.Equal("application/vnd.cnab.manifest.v1", annotations.GetProperty("org.opencontainers.artifactType").GetString());
        Assert.Equal("1.2.0", annotations.GetProperty("io.cnab.runtime_version").GetString());
        Assert.Contains($"PushedBundle={release.BundleReference}", release.PublishOutput);

        // The config manifest's config blob is bundle.json, byte for byte.
        var repository = $"{release.Source.Host}/samples/air-gap-release-bundle";
        var configManifest = JsonDocument.Parse(ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false",
            $"docker://{repository}@{manifests[0].GetProperty("digest").GetString()}").EnsureSuccess("config manifest").StandardOutput).RootElement;
        Assert.Equal("application/vnd.cnab.config.v1+json", configManifest.GetProperty("config").GetProperty("mediaType").GetString());
        var bundleBytes = File.ReadAllBytes(release.BundlePath);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bundleBytes)), configManifest.GetProperty("config").GetProperty("digest").GetString());
        using var http = new HttpClient();
        var blob = await http.GetByteArrayAsync($"http://{repository.Replace(release.Source.Host + "/", release.Source.Host + "/v2/")}/blobs/{configManifest.GetProperty("config").GetProperty("digest").GetString()}");
        Assert.Equal(bundleBytes, blob);

        // Every image of the index lives in the bundle's own repository (cnab-to-oci requires it).
        foreach (var manifest in manifests.Skip(1))
        {
            var digest = manifest.GetProperty("digest").GetString()!;
            Assert.Equal(digest, release.RawDigest($"{repository}@{digest}", target: false));
        }
    }

    [Fact]
    public void Publishing_with_ContainerRelocationRegistry_copies_every_image_keeping_digests_and_writes_the_mapping()
    {
        using var bundle = release.Bundle();
        var images = bundle.RootElement.GetProperty("images").EnumerateObject().Select(p => p.Value.GetProperty("image").GetString()!)
            .Append(bundle.RootElement.GetProperty("invocationImages")[0].GetProperty("image").GetString()!).ToList();
        var mappingBytes = File.ReadAllBytes(release.MappingPath);
        Assert.Empty(CnabSchemas.Validate(CnabSchemas.RelocationMapping, Encoding.UTF8.GetString(mappingBytes)));
        var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(mappingBytes)!;
        Assert.Equal(images.Order(), mapping.Keys.Order());
        foreach (var (original, relocated) in mapping)
        {
            var digest = original[(original.IndexOf('@') + 1)..];
            var repository = original[..original.IndexOf('@')];
            repository = repository[(repository.IndexOf('/') + 1)..]; // drop the source registry
            repository = repository[..repository.LastIndexOf(':')];
            Assert.Equal($"{release.Target.Host}/site-a/{repository}@{digest}", relocated);
            Assert.Equal(digest, release.RawDigest(relocated, target: true));
        }
        Assert.Contains($"GeneratedRelocationMapping={release.MappingPath} 3", release.PublishOutput);
    }

    [Fact]
    public void Dotnet_oci_relocate_copies_a_pushed_bundle_with_flat_naming_and_writes_the_mapping()
    {
        var output = release.Work.Combine("flat-mapping.json");
        var result = release.Oci(release.Credentials, "relocate", release.BundleReference, "--registry", $"{release.Target.Host}/flat", "--flat", "-o", output)
            .EnsureSuccess("dotnet oci relocate --flat");
        var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(output))!;
        Assert.Equal(3, mapping.Count);
        Assert.Contains(mapping.Values, v => v.StartsWith($"{release.Target.Host}/flat/samples-hello-oci@sha256:", StringComparison.Ordinal));
        foreach (var (original, relocated) in mapping)
        {
            Assert.Matches($"^{Regex(release.Target.Host)}/flat/[a-z0-9._-]+@sha256:[a-f0-9]{{64}}$", relocated);
            Assert.Equal(original[(original.IndexOf('@') + 1)..], release.RawDigest(relocated, target: true));
            Assert.Contains($"{original} -> {relocated}", result.StandardOutput);
        }
    }

    [Fact]
    public void Dotnet_oci_relocate_reads_a_bundle_json_whose_images_are_in_a_registry()
    {
        var output = release.Work.Combine("from-json-mapping.json");
        release.Oci(release.Credentials, "relocate", release.BundlePath, "--registry", $"{release.Target.Host}/from-json", "-o", output)
            .EnsureSuccess("dotnet oci relocate bundle.json");
        var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(output))!;
        Assert.Equal(3, mapping.Count);
        Assert.All(mapping, pair =>
        {
            Assert.StartsWith($"{release.Target.Host}/from-json/samples/", pair.Value);
            Assert.Equal(pair.Key[(pair.Key.IndexOf('@') + 1)..], release.RawDigest(pair.Value, target: true));
        });
    }

    [Fact]
    public void A_target_that_refuses_the_credentials_is_OCI4006_and_no_mapping_is_written()
    {
        var output = release.Work.Combine("refused-mapping.json");
        var environment = release.Credentials;
        environment["DOTNET_CONTAINER_REGISTRY_PWORD"] = "wrong-password";
        var result = release.Oci(environment, "relocate", release.BundlePath, "--registry", $"{release.Target.Host}/refused", "-o", output);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error OCI4006", result.StandardError);
        Assert.DoesNotContain("wrong-password", result.Output);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_bundle_whose_image_is_missing_from_the_source_is_OCI4007_and_no_mapping_is_written()
    {
        // A folder with the bundle.json and a layout that holds only one of its images.
        var folder = release.Work.Combine("thin");
        Directory.CreateDirectory(folder);
        File.Copy(release.BundlePath, Path.Combine(folder, "bundle.json"));
        CopyDirectory(PublishedRelease.InvocationLayout(release.Release), Path.Combine(folder, "artifacts", "layout"));
        var output = release.Work.Combine("missing-mapping.json");
        var result = release.Oci(release.Credentials, "relocate", folder, "--registry", $"{release.Target.Host}/missing", "-o", output);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error OCI4007", result.StandardError);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_relocated_image_runs_under_containerd_pulled_from_the_second_registry()
    {
        var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(release.MappingPath))!;
        var hello = mapping.Single(p => p.Key.Contains("/samples/hello-oci:", StringComparison.Ordinal)).Value;
        using var containerd = new Containerd();
        containerd.Ctr("images", "pull", "--plain-http", "--user", $"relocator:{RelocatedRelease.Password}", "--snapshotter", "native", hello)
            .EnsureSuccess($"ctr images pull {hello}");
        using var container = containerd.Run(hello, FreePort.Next());
        var (status, body) = container.Get("/");
        Assert.Equal(200, status);
        Assert.Contains("Hello from HelloOci", body);
    }

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
