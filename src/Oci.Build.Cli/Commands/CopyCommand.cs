using Oci.Build.Graph;
using Oci.Build.Images;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Copies an image between layouts, archives and registries, keeping its digest (manifests and blobs byte for byte),
/// with skopeo's spelling of locations. Without <c>--all</c> an index is narrowed to this machine's platform, as skopeo does.
/// </summary>
public sealed class CopyCommand : ICommand
{
    public string Name => "copy";
    public string Usage => "copy SOURCE DESTINATION [--all]   (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker://HOST/REPO[:TAG])";
    public string Summary => "Copy an image, digest-preserving; --all copies every platform of an index.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "--all" };

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        arguments.ExpectOnly(2, "--all");
        var from = ImageLocation.Parse(arguments.Positional(0, "the source"), Environment.CurrentDirectory);
        var to = ImageLocation.Parse(arguments.Positional(1, "the destination"), Environment.CurrentDirectory);
        if (to.Transport == ImageTransport.Registry && to.Image!.Digest is not null)
            throw new UsageException("A registry destination is named by tag (docker://HOST/REPO:TAG), not by digest.");

        var settings = new RegistrySettings { CacheDirectory = CacheDirectory() };
        using var registries = new RegistryImages(settings, log, PushHost(to), PullHost(from));
        using var source = registries.OpenSource(from);
        var root = source.ResolveAsync(from.Reference, CancellationToken.None).GetAwaiter().GetResult() with { Annotations = null };
        if (!arguments.Flag("--all") && MediaTypes.IsIndex(root.MediaType))
            root = ManifestSelector.FindInIndex(d => source.ReadManifestAsync(d, CancellationToken.None).GetAwaiter().GetResult(),
                source.Description, root, HostPlatform());

        // The destination's tag; else the source's tag (a digest names no tag); else the image goes by digest only.
        var tag = to.Transport == ImageTransport.Registry ? to.Image!.Tag : to.Reference ?? (Digest.TryParse(from.Reference, out _) ? null : from.Reference);
        using var sink = registries.OpenSink(to, mountFrom: from.Transport == ImageTransport.Registry ? from : null);
        // Signatures and SBOMs attached to the image travel with it (same digest, so they stay valid).
        var result = ImageCopier.CopyAsync(source, sink, [new CopyRoot(root, tag is null ? [] : [tag])], new CopyOptions { IncludeAttached = true }).GetAwaiter().GetResult();
        output.WriteLine($"copied {source.Description} -> {sink.Description}: {root.Digest}");
        output.WriteLine($"  blobs: {result.Blobs.Count} ({result.Count(BlobOutcome.Uploaded)} sent, {result.Count(BlobOutcome.Mounted)} linked or mounted, " +
                         $"{result.Count(BlobOutcome.Existed)} already there), {ByteSize.Format(result.BytesSent)}; manifests written: {result.ManifestsWritten}");
        return 0;
    }

    private static string? PushHost(ImageLocation location) => location.Image is { } image ? RegistryEndpoint.ApiHost(image.Registry) : null;

    private static string? PullHost(ImageLocation location) => location.Image is { } image ? RegistryEndpoint.ApiHost(image.Registry) : null;

    /// <summary>The same cache as builds (<c>OCI_BUILD_CACHE</c>, else the XDG cache): it holds the delegation answers.</summary>
    private static string CacheDirectory() =>
        Environment.GetEnvironmentVariable("OCI_BUILD_CACHE") is { Length: > 0 } cache ? cache
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "oci-build");

    private static Platform HostPlatform() => Platform.FromRuntimeIdentifier(System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier.Replace("linux-musl-", "linux-"));
}
