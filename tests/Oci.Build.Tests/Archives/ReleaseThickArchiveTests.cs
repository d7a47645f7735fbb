using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Store;
using Oci.Build.Oci;
using Oci.Build.Signing;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;
using FreePort = Oci.Build.Tests.Infrastructure.FreePort;

namespace Oci.Build.Tests.Bundles;

/// <summary>
/// The thick archive of the release (issue 9), on the publishes <see cref="PublishedRelease"/> already makes (part of
/// <see cref="ReleaseBundleTests"/> so the release is published once for both): written by MSBuild, byte-identical across
/// two clean builds, verified, imported into a token-auth registry by a robot that may only push to the site's prefix,
/// run from there under containerd; and an import killed midway finishes on a rerun without sending finished blobs again.
/// </summary>
public sealed partial class ReleaseBundleTests
{
    private const string RobotPassword = "robot-secret-3M";

    /// <summary>The site's robot: push (with the pull the registry requires for a push) under site/ only; nothing elsewhere.</summary>
    private static IReadOnlyList<string> RobotGrants(string? user, string repository, IReadOnlyList<string> requested) =>
        user == "robot" && repository.StartsWith("site/", StringComparison.Ordinal) ? requested.Where(a => a is "push" or "pull").ToList() : [];

    private static Dictionary<string, string?> RobotEnvironment(string work) => new()
    {
        ["DOTNET_CONTAINER_REGISTRY_UNAME"] = "robot",
        ["DOTNET_CONTAINER_REGISTRY_PWORD"] = RobotPassword,
        ["DOCKER_CONFIG"] = Path.Combine(work, "no-docker-config"),
        ["OCI_BUILD_CACHE"] = Path.Combine(work, "cache"),
    };

    /// <summary>dotnet-oci as installed from the archive, as the site runs it (natively compiled here).</summary>
    private string Cli => release.InstalledTool;

    [Fact]
    public void Publishing_with_ContainerThickArchive_writes_a_byte_identical_verified_archive_of_every_image_of_the_bundle()
    {
        var first = PublishedRelease.ThickArchivePath(release.First);
        var second = PublishedRelease.ThickArchivePath(release.Second);
        Assert.Equal(Digest.OfFile(first), Digest.OfFile(second));
        Assert.Contains($"GeneratedThickArchive={first} {Digest.OfFile(first)}", release.FirstOutput);

        var report = ThickArchiveVerifier.Verify(first);
        Assert.True(report.IsValid, string.Join("\n", report.Problems));
        using var bundle = release.Bundle();
        Assert.Equal(File.ReadAllBytes(PublishedRelease.BundlePath(release.First)), ReadMember(first, ThickArchive.BundleFile));
        var images = bundle.RootElement.GetProperty("images").EnumerateObject().Select(p => p.Value)
            .Concat(bundle.RootElement.GetProperty("invocationImages").EnumerateArray()).ToList();
        Assert.Equal(3, images.Count);
        Assert.Equal(3, report.Images);
        Assert.Equal(images.Select(i => i.GetProperty("image").GetString()!).ToHashSet(), report.Bundle!.AllImages().Select(i => i.Image.Image).ToHashSet());

        // Signed by ContainerSigningKey (issue 11): the checksum file and every image, verified with the public key alone.
        using var policy = SignaturePolicy.ForKey(release.PublicKey);
        var signed = ThickArchiveVerifier.Verify(first, policy, null);
        Assert.True(signed.IsValid, string.Join("\n", signed.Problems));
        Assert.Contains(ThickArchive.ChecksumSignatureFile, ProcessRunner.Run("tar", "-tf", first).EnsureSuccess("tar -tf").StandardOutput);
    }

    /// <summary>
    /// Release 1.0.1 with a one-line change of HelloOci, made in-process (no second publish): one small layer on the
    /// 1.0.0 app image, the bundle's app entry pointed at it; written as a delta against the 1.0.0 archive.
    /// </summary>
    private string WriteDeltaOfRelease(TempDirectory work)
    {
        var v1 = BundleJson.Read(PublishedRelease.BundlePath(release.First));
        var (key, hello) = v1.Images!.Single(i => i.Value.Image.Contains("hello-oci", StringComparison.Ordinal));
        var appLayout = PublishedRelease.AppLayout(release.First, "HelloOci");
        var changed = work.Combine("files", "release-note.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(changed)!);
        File.WriteAllText(changed, "1.0.1: one line changed\n");
        var platform = Platform.FromRuntimeIdentifier("linux-x64");
        var created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        using var baseImage = new LayoutBaseImageProvider(work.Path).Resolve($"oci:{appLayout}:{OciLayout.Open(appLayout).ImageTags().First()}", platform);
        var v2Layout = work.Combine("hello-1.0.1");
        var built = TestImages.OnBase(baseImage, work.Combine("cache"), [new LayerSpec("note", [LayerEntry.FromFile("app/release-note.txt", changed)])], new ImageSettings { Repository = "samples/hello-oci", Tags = ["1.0.1"], Platform = platform, Created = created }, v2Layout);
        // The bundle pins each image by digest (NAME:TAG@DIGEST): the new tag, and the new digest.
        var name = hello.Image.Split('@')[0].Replace(":1.0.0", ":1.0.1", StringComparison.Ordinal);
        var image = hello with { Image = hello.Image.Contains('@') ? $"{name}@{built.Manifest.Digest}" : name, ContentDigest = built.Manifest.Digest.ToString(), Size = built.Manifest.Size, MediaType = built.Manifest.MediaType };
        var v2 = v1 with { Version = "1.0.1", Images = v1.Images!.ToDictionary(i => i.Key, i => i.Key == key ? image : i.Value) };
        var baseline = PublishedRelease.ThickArchivePath(release.First);
        return ThickArchiveWriter.Write(new ThickArchiveRequest
        {
            ArchivePath = work.Combine("contoso.air-gap-release-1.0.1.cnab.tar"),
            Bundle = v2,
            Images = ThickArchiveWriter.ImagesOf(v2, new BundleImageSourceMap { Layouts = new Dictionary<string, string> { [image.Image] = v2Layout }, Archive = baseline }),
            UnixTime = 1_700_000_000,
            Baseline = ArchiveBaseline.Load(ArchiveIndex.PathFor(baseline)),
        }, location => location.Transport == ImageTransport.Archive ? ArchiveSource.Open(location.Path) : new LayoutSource(OciLayout.Open(location.Path)), new CapturingLog()).ArchivePath;
    }

    [Fact]
    public void Import_pushes_every_image_with_its_bundle_digest_through_a_push_only_robot_then_a_delta_of_a_one_line_change_on_top_and_containerd_runs_it()
    {
        using var work = new TempDirectory("import");
        var users = new Dictionary<string, string>(RegistryServer.Users) { ["robot"] = RobotPassword };
        using var tokens = new TokenServer(work.Path, users, RobotGrants);
        using var registry = new RegistryServer(RegistryServer.AuthMode.Token, tokens);
        var archive = PublishedRelease.ThickArchivePath(release.First);
        var mapping = work.Combine("site-mapping.json");

        // Outside its prefix the robot may not push: the import is refused by the registry and no map is written.
        var refused = ProcessRunner.Run(Cli, ["import", archive, "--registry", $"{registry.Host}/elsewhere", "--relocation-mapping", mapping], work.Path, RobotEnvironment(work.Path));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"error {ErrorCodes.RelocationTargetRefused}", refused.StandardError);
        Assert.False(File.Exists(mapping));

        var result = ProcessRunner.Run(Cli, ["import", archive, "--registry", $"{registry.Host}/site", "--relocation-mapping", mapping], work.Path, RobotEnvironment(work.Path));
        Assert.True(result.ExitCode == 0, result.StandardError);
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(mapping))!;
        using var bundle = release.Bundle();
        foreach (var image in bundle.RootElement.GetProperty("images").EnumerateObject().Select(p => p.Value).Concat(bundle.RootElement.GetProperty("invocationImages").EnumerateArray()))
        {
            var relocated = map[image.GetProperty("image").GetString()!];
            Assert.StartsWith($"{registry.Host}/site/", relocated);
            // What the registry serves at that digest hashes to the bundle's contentDigest (skopeo, an independent client).
            var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", $"robot:{RobotPassword}", $"docker://{relocated}")
                .EnsureSuccess("skopeo inspect --raw").StandardOutput;
            Assert.Equal(image.GetProperty("contentDigest").GetString(), Digest.Of(System.Text.Encoding.UTF8.GetBytes(raw.TrimEnd('\n'))).ToString());
        }

        // 1.0.1 as a delta on top: kilobytes instead of the full archive's megabytes, and the site then has the whole of 1.0.1.
        var delta = WriteDeltaOfRelease(work);
        Assert.True(new FileInfo(delta).Length * 20 < new FileInfo(archive).Length, $"delta {new FileInfo(delta).Length} bytes, full {new FileInfo(archive).Length}");
        result = ProcessRunner.Run(Cli, ["import", delta, "--registry", $"{registry.Host}/site", "--relocation-mapping", mapping], work.Path, RobotEnvironment(work.Path));
        Assert.True(result.ExitCode == 0, result.StandardError);

        using var containerd = new Containerd();
        var reference = $"{registry.Host}/site/samples/hello-oci:1.0.1";
        containerd.Pull(reference, user: $"robot:{RobotPassword}");
        using var container = containerd.Run(reference, FreePort.Next());
        var (status, body) = container.Get("/");
        Assert.Equal(200, status);
        Assert.Contains("Hello from HelloOci", body);
    }

    [Fact]
    public void An_import_killed_while_blobs_are_in_flight_completes_on_a_rerun_without_sending_finished_blobs_again()
    {
        using var work = new TempDirectory("import-kill");
        var users = new Dictionary<string, string>(RegistryServer.Users) { ["robot"] = RobotPassword };
        using var tokens = new TokenServer(work.Path, users, RobotGrants);
        using var registry = new RegistryServer(RegistryServer.AuthMode.Token, tokens);
        using var proxy = new FaultProxy(registry.Host);
        var archive = PublishedRelease.ThickArchivePath(release.First);
        var mapping = work.Combine("site-mapping.json");

        // First run: two blob uploads finish, every later one is held at the proxy (in flight) until the process is killed.
        const int finished = 2;
        var completed = new ConcurrentBag<string>();
        var held = new SemaphoreSlim(0);
        using var release_ = new ManualResetEventSlim(false);
        var killed = false;
        var puts = 0;
        proxy.Rule = request =>
        {
            if (request.Method != "PUT" || !request.Target.Contains("/blobs/uploads/", StringComparison.Ordinal)) return null;
            if (Interlocked.Increment(ref puts) <= finished)
            {
                completed.Add(BlobDigestOf(request.Target));
                return null;
            }
            held.Release();
            release_.Wait();
            return killed ? new Fault.Status(503) : null;
        };
        var info = new ProcessStartInfo(Cli) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work.Path };
        foreach (var argument in new[] { "import", archive, "--registry", $"{proxy.Host}/site", "--relocation-mapping", mapping, "--parallel", "3" })
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in RobotEnvironment(work.Path)) info.Environment[key] = value;
        using (var process = Process.Start(info)!)
        {
            var heldInTime = held.Wait(TimeSpan.FromMinutes(2));
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            killed = true;
            release_.Set();
            Assert.True(heldInTime, "no blob upload reached the proxy after the first ones");
        }
        Assert.Equal(finished, completed.Count);
        Assert.False(File.Exists(mapping), "a killed import must not write the relocation map");

        // Second run: everything arrives; no blob finished by the first run is uploaded again.
        var resent = new ConcurrentBag<string>();
        proxy.Rule = request =>
        {
            if (request.Method == "PUT" && request.Target.Contains("/blobs/uploads/", StringComparison.Ordinal)) resent.Add(BlobDigestOf(request.Target));
            return null;
        };
        var rerun = ProcessRunner.Run(Cli, ["import", archive, "--registry", $"{proxy.Host}/site", "--relocation-mapping", mapping], work.Path, RobotEnvironment(work.Path));
        Assert.True(rerun.ExitCode == 0, rerun.StandardError);
        Assert.True(File.Exists(mapping));
        Assert.NotEmpty(resent);
        Assert.Empty(resent.Intersect(completed));
        var verified = ThickArchiveVerifier.Verify(archive);
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(mapping))!;
        Assert.Equal(verified.Bundle!.AllImages().Select(i => i.Image.Image).ToHashSet(), map.Keys.ToHashSet());
    }

    [Fact]
    public void The_tool_package_carried_in_the_archive_installs_offline_with_only_the_dotnet_sdk_and_verifies_that_archive()
    {
        using var work = new TempDirectory("tool-install");
        var archive = PublishedRelease.ThickArchivePath(release.First);
        var tool = PublishedRelease.InstallToolFromArchive(archive, work.Path);
        // The tool as .NET 10 packs it per platform: the pointer package, linux-x64 (native), any other (portable).
        Assert.Equal(["Oci.Build.Cli.1.0.0.nupkg", "Oci.Build.Cli.any.1.0.0.nupkg", "Oci.Build.Cli.linux-x64.1.0.0.nupkg"],
            Directory.GetFiles(work.Combine("tools")).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // This machine is linux-x64: dotnet picked that package, a native program with no assemblies beside it.
        var program = new FileInfo(tool).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        Assert.Contains("oci.build.cli.linux-x64", program);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(program)!, "*.dll"));
        var verify = ProcessRunner.Run(tool, ["verify", archive], work.Path, PublishedRelease.OfflineEnvironment(work.Path));
        Assert.True(verify.ExitCode == 0, verify.StandardError);
        Assert.Contains($"verified {archive}: 3 images", verify.StandardOutput);
    }

    [Fact]
    public void The_tool_installed_from_the_archive_serves_it_and_skopeo_reads_every_image_of_the_bundle_at_its_digest()
    {
        // serve runs Kestrel: in the native program that is the code the analyzers and the trimmer had to keep working.
        using var server = Serve.ServeProcess.Of(Cli, PublishedRelease.ThickArchivePath(release.First));
        using var bundle = release.Bundle();
        var images = bundle.RootElement.GetProperty("images").EnumerateObject().Select(p => p.Value).Concat(bundle.RootElement.GetProperty("invocationImages").EnumerateArray()).ToList();
        Assert.Equal(3, images.Count);
        foreach (var image in images)
        {
            // Served under its original repository, without the registry's name.
            var original = ImageReference.Parse(image.GetProperty("image").GetString()!);
            var contentDigest = image.GetProperty("contentDigest").GetString()!;
            var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{server.Host}/{original.Repository}@{contentDigest}")
                .EnsureSuccess("skopeo inspect --raw").StandardOutput;
            Assert.Equal(contentDigest, Digest.Of(System.Text.Encoding.UTF8.GetBytes(raw.TrimEnd('\n'))).ToString());
        }
    }

    /// <summary>REPOSITORY@DIGEST of a blob upload's closing PUT (existence is per repository: a blob shared by two images is sent to each).</summary>
    private static string BlobDigestOf(string target)
    {
        var (path, query) = (target.Split('?', 2)[0], target.Split('?', 2)[1]);
        var repository = path["/v2/".Length..path.IndexOf("/blobs/uploads/", StringComparison.Ordinal)];
        return repository + "@" + Uri.UnescapeDataString(query.Split('&').Single(p => p.StartsWith("digest=", StringComparison.Ordinal))["digest=".Length..]);
    }

    private static byte[] ReadMember(string archive, string name)
    {
        using var source = Graph.ArchiveSource.Open(archive);
        return source.Members.TryReadDocument(name, ErrorCodes.InvalidThickArchive)!;
    }
}
