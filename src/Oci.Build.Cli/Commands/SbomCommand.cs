using System.CommandLine;
using System.Text;
using Oci.Build.Graph;
using Oci.Build.Images;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;
using Oci.Build.Sbom;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Prints the SPDX SBOM attached to an image (an OCI referrer found through the referrers tag), from a registry, a
/// layout or an archive. An index without one of its own is narrowed to this machine's platform, as copy does.
/// </summary>
public sealed class SbomCommand : OciCommand
{
    private readonly Argument<string> _image = new("IMAGE") { Description = "The image: docker://HOST/REPO[:TAG|@DIGEST], oci:DIR[:TAG], oci-archive:FILE[:TAG] or a layout folder." };

    public SbomCommand() : base("sbom", "Print the SPDX 2.3 SBOM attached to an image (the JSON document itself, with or without --json).")
    {
        Arguments.Add(_image);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var spec = context.Parse.GetRequiredValue(_image);
        var location = spec.StartsWith(ImageLocation.RegistryPrefix, StringComparison.Ordinal) || ImageLocation.IsLocal(spec)
            ? ImageLocation.Parse(spec, Environment.CurrentDirectory)
            : new ImageLocation(ImageTransport.Layout, Path.GetFullPath(spec), null, null);
        var host = location.Image is { } image ? RegistryEndpoint.ApiHost(image.Registry) : null;
        using var registries = new RegistryImages(new RegistrySettings { CacheDirectory = CacheDirectory() }, context.Log, null, host);
        using var source = registries.OpenSource(location);
        var root = await ResolveAsync(source, location, cancellationToken);
        var sbom = await SbomReferrer.FindAsync(source, root, cancellationToken);
        if (sbom is null && MediaTypes.IsIndex(root.MediaType))
        {
            root = ManifestSelector.FindInIndex(d => source.ReadManifestAsync(d, cancellationToken).GetAwaiter().GetResult(), source.Description, root, HostPlatform());
            sbom = await SbomReferrer.FindAsync(source, root, cancellationToken);
        }
        if (sbom is null)
            throw new OciException(ErrorCodes.SbomNotAttached,
                $"{source.Description} has no SBOM attached to {root.Digest} (no referrer of type {SpdxDocument.MediaType} under {AttachedObjects.ReferrersTag(root.Digest)}). " +
                "Publish with -p:ContainerSbom=true, and copy images with dotnet oci copy or relocation, which carry it.");
        context.Output.Write(Encoding.UTF8.GetString(sbom));
        return ExitCodes.Success;
    }

    /// <summary>The image named; in a layout or archive without a tag, its only image (attached objects do not count).</summary>
    private static async Task<Descriptor> ResolveAsync(IImageSource source, ImageLocation location, CancellationToken cancellationToken)
    {
        if (location.Transport != ImageTransport.Registry && location.Reference is null)
        {
            var index = source is LayoutSource layout ? layout.Layout.Index : source is ArchiveSource archive ? archive.Index : null;
            var images = index is null ? [] : AttachedObjects.Images(index).DistinctBy(d => d.Digest).ToList();
            if (images.Count == 1) return images[0] with { Annotations = null };
        }
        return await source.ResolveAsync(location.Transport == ImageTransport.Registry ? location.Image!.ManifestReference : location.Reference, cancellationToken)
            with { Annotations = null };
    }

    private static Platform HostPlatform() => Platform.FromRuntimeIdentifier(System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier.Replace("linux-musl-", "linux-"));
}
