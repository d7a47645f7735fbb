using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Integration;
using Oci.Build.Tests.Registry.Support;
using FreePort = Oci.Build.Tests.Infrastructure.FreePort;

namespace Oci.Build.Tests.Runtime;

/// <summary>
/// Proof that the images run in a real container runtime, not only in the chroot runner: containerd imports HelloOci's
/// OCI archive, and pulls HelloOci after the engine pushed it to a real registry; both times the app answers GET /.
/// </summary>
[Collection("Publish")]
public sealed class ContainerdRunTests
{
    private static PublishedHelloOci Published => PublishedHelloOci.Shared;

    [Fact]
    public void The_OCI_archive_imports_into_containerd_and_the_app_answers()
    {
        using var containerd = new Containerd();
        var output = containerd.Import(Published.ArchivePath);
        // The archive names its one image by its first full reference; containerd takes that name.
        Assert.Contains($"samples/hello-oci:1.0.0 ({Published.ManifestDescriptor.Digest})", output);

        using var container = containerd.Run("samples/hello-oci:1.0.0", FreePort.Next());
        var (status, body) = container.Get("/");
        Assert.Equal(200, status);
        Assert.Contains("Hello from HelloOci", body);
    }

    [Fact]
    public void The_image_pushed_to_a_registry_is_pulled_by_containerd_and_the_app_answers()
    {
        using var registry = new RegistryServer();
        using var engine = new EngineHarness();
        var pushed = engine.Push(Published.Sample.LayoutPath, registry.Host, "team/hello", "1.0.0");
        Assert.Equal(Published.ManifestDescriptor.Digest, pushed.ManifestDigest);

        using var containerd = new Containerd();
        var reference = $"{registry.Host}/team/hello:1.0.0";
        containerd.Pull(reference);
        var images = containerd.Ctr("images", "ls").EnsureSuccess("ctr images ls").StandardOutput;
        Assert.Contains(reference, images);
        Assert.Contains(Published.ManifestDescriptor.Digest.ToString(), images);

        using var container = containerd.Run(reference, FreePort.Next());
        var (status, body) = container.Get("/");
        Assert.Equal(200, status);
        Assert.Contains("Hello from HelloOci", body);
    }
}
