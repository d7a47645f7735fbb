using System.CommandLine;
using System.Text.Json.Nodes;
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
public sealed class CopyCommand : OciCommand
{
    private readonly Argument<string> _source = new("SOURCE") { Description = "Where the image is: oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker://HOST/REPO[:TAG|@DIGEST]." };
    private readonly Argument<string> _destination = new("DESTINATION") { Description = "Where it goes: oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker://HOST/REPO[:TAG]." };
    private readonly Option<bool> _all = new("--all") { Description = "Copy every platform of an index (default: only this machine's platform, as skopeo does)." };
    private readonly Option<bool> _skipAttached = new("--skip-attached")
    {
        Description = "Copy the image alone, as skopeo does: not the signatures, attestations and SBOMs attached to it (default: they travel with it).",
    };

    public CopyCommand() : base("copy", "Copy an image, digest-preserving; --all copies every platform of an index.")
    {
        Arguments.Add(_source);
        Arguments.Add(_destination);
        Options.Add(_all);
        Options.Add(_skipAttached);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var from = ImageLocation.Parse(context.Parse.GetRequiredValue(_source), Environment.CurrentDirectory);
        var to = ImageLocation.Parse(context.Parse.GetRequiredValue(_destination), Environment.CurrentDirectory);
        if (to.Transport == ImageTransport.Registry && to.Image!.Digest is not null)
            throw new UsageException("A registry destination is named by tag (docker://HOST/REPO:TAG), not by digest.");

        var settings = new RegistrySettings { CacheDirectory = CacheDirectory() };
        using var registries = new RegistryImages(settings, context.Log, ApiHost(to), ApiHost(from));
        using var source = registries.OpenSource(from);
        var root = await source.ResolveAsync(from.Reference, cancellationToken) with { Annotations = null };
        if (!context.Parse.GetValue(_all) && MediaTypes.IsIndex(root.MediaType))
            root = ManifestSelector.FindInIndex(d => source.ReadManifestAsync(d, cancellationToken).GetAwaiter().GetResult(),
                source.Description, root, HostPlatform());

        // The destination's tag; else the source's tag (a digest names no tag); else the image goes by digest only.
        var tag = to.Transport == ImageTransport.Registry ? to.Image!.Tag : to.Reference ?? (Digest.TryParse(from.Reference, out _) ? null : from.Reference);
        using var sink = registries.OpenSink(to, mountFrom: from.Transport == ImageTransport.Registry ? from : null);
        CopyResult result;
        using (var progress = context.Progress("copying"))
            // Signatures and SBOMs attached to the image travel with it (same digest, so they stay valid), unless told not to:
            // finding them costs a few requests (the referrers API or its fallback tag, cosign's tags) that a bare copy skips.
            result = await ImageCopier.CopyAsync(source, sink, [new CopyRoot(root, tag is null ? [] : [tag])],
                new CopyOptions { Progress = progress, IncludeAttached = !context.Parse.GetValue(_skipAttached) }, cancellationToken);
        context.Result(new JsonObject
            {
                ["source"] = source.Description,
                ["destination"] = sink.Description,
                ["digest"] = root.Digest.ToString(),
                ["blobs"] = result.Blobs.Count,
                ["uploaded"] = result.Count(BlobOutcome.Uploaded),
                ["mounted"] = result.Count(BlobOutcome.Mounted),
                ["existed"] = result.Count(BlobOutcome.Existed),
                ["bytesSent"] = result.BytesSent,
                ["manifestsWritten"] = result.ManifestsWritten,
            },
            $"copied {source.Description} -> {sink.Description}: {root.Digest}",
            $"  blobs: {result.Blobs.Count} ({result.Count(BlobOutcome.Uploaded)} sent, {result.Count(BlobOutcome.Mounted)} linked or mounted, " +
            $"{result.Count(BlobOutcome.Existed)} already there), {ByteSize.Format(result.BytesSent)}; manifests written: {result.ManifestsWritten}");
        return ExitCodes.Success;
    }

    private static string? ApiHost(ImageLocation location) => location.Image is { } image ? RegistryEndpoint.ApiHost(image.Registry) : null;

    private static Platform HostPlatform() => Platform.FromRuntimeIdentifier(System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier.Replace("linux-musl-", "linux-"));
}
