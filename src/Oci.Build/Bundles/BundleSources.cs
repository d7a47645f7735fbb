using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Bundles;

/// <summary>A bundle to relocate and where its images are: what `dotnet oci relocate` accepts.</summary>
public sealed record BundleInput(CnabBundle Bundle, BundleImageSourceMap Sources, string Description);

public static class BundleInputs
{
    /// <summary>
    /// <c>bundle.json</c> (images from their own references), a directory with bundle.json and its images in an OCI layout
    /// (the directory itself or <c>artifacts/layout</c>, Porter's thick-bundle form), or a bundle in a registry
    /// (<c>[docker://]HOST/REPO:TAG</c>, cnab-to-oci's form: every image in that repository), or a thick archive (its
    /// first part, or its parts description), read in place.
    /// </summary>
    public static BundleInput Open(string spec, RegistryImages registries, CancellationToken cancellationToken = default)
    {
        if (File.Exists(spec) && !IsJson(spec))
            return FromThickArchive(spec);
        if (File.Exists(spec))
            return new BundleInput(BundleJson.Read(spec), new BundleImageSourceMap(), spec);
        if (Directory.Exists(spec))
        {
            var bundlePath = Path.Combine(spec, "bundle.json");
            if (!File.Exists(bundlePath))
                throw new OciException(ErrorCodes.InvalidBundle, $"'{spec}' has no bundle.json: name a bundle.json, a folder with bundle.json and an OCI layout, or a bundle in a registry.");
            var layout = new[] { Path.Combine(spec, "artifacts", "layout"), spec }.FirstOrDefault(OciLayout.Exists)
                ?? throw new OciException(ErrorCodes.InvalidLayout, $"'{spec}' has bundle.json but no OCI layout (itself or artifacts/layout) holding its images.");
            return new BundleInput(BundleJson.Read(bundlePath), new BundleImageSourceMap { Layout = layout }, spec);
        }
        var location = ImageLocation.Parse(spec, bareRegistryReferences: true);
        if (location.Transport != ImageTransport.Registry)
            throw new OciException(ErrorCodes.InvalidBundle, $"'{spec}' does not exist.");
        return FromRegistry(location, registries, cancellationToken);
    }

    /// <summary>A parts description is JSON too, but not a bundle: it names an archive.</summary>
    private static bool IsJson(string path)
    {
        if (path.EndsWith(Archives.ArchiveParts.DescriptionSuffix, StringComparison.Ordinal)) return false;
        using var stream = File.OpenRead(path);
        int b;
        while ((b = stream.ReadByte()) is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF) { }
        return b == '{';
    }

    /// <summary>A thick archive (or its first part or parts description): its bundle.json, and its layout for the images, read in place.</summary>
    private static BundleInput FromThickArchive(string path)
    {
        using var archive = ArchiveSource.Open(path);
        if (!archive.IsThick)
            throw new OciException(ErrorCodes.InvalidBundle, $"'{path}' is an OCI archive, not a thick archive with a bundle.json.");
        var bytes = archive.Members.TryReadDocument(Archives.ThickArchive.BundleFile, ErrorCodes.InvalidBundle)
            ?? throw new OciException(ErrorCodes.InvalidBundle, $"The thick archive '{path}' holds images but no bundle.json.");
        return new BundleInput(BundleJson.Deserialize(bytes, $"bundle.json of '{path}'"), new BundleImageSourceMap { Archive = path }, path);
    }

    private static BundleInput FromRegistry(ImageLocation location, RegistryImages registries, CancellationToken cancellationToken)
    {
        using var source = registries.OpenSource(location);
        var root = source.ResolveAsync(location.Reference, cancellationToken).GetAwaiter().GetResult();
        if (!MediaTypes.IsIndex(root.MediaType))
            throw new OciException(ErrorCodes.InvalidBundle, $"{location} is a {root.MediaType}, not a bundle index (cnab-to-oci's form).");
        var index = OciJson.Deserialize<ImageIndex>(source.ReadManifestAsync(root, cancellationToken).GetAwaiter().GetResult(), "bundle index");
        var configManifest = index.Manifests.FirstOrDefault(m => m.Annotation(CnabOciDocuments.ManifestTypeAnnotation) == "config")
            ?? throw new OciException(ErrorCodes.InvalidBundle, $"{location} is an index without a CNAB config manifest ({CnabOciDocuments.ManifestTypeAnnotation}: config): not a bundle.");
        var manifest = OciJson.Deserialize<ImageManifest>(source.ReadManifestAsync(configManifest with { Annotations = null }, cancellationToken).GetAwaiter().GetResult(), "bundle config manifest");
        if (manifest.Config.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidBundle, $"The bundle.json of {location} claims {manifest.Config.Size} bytes; refused.");
        using var stream = source.OpenBlobAsync(manifest.Config, cancellationToken).GetAwaiter().GetResult();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bundle = BundleJson.Deserialize(copy.ToArray(), $"bundle.json of {location}");
        return new BundleInput(bundle, new BundleImageSourceMap { Repository = location.Image! with { Tag = null, Digest = null } }, location.ToString());
    }
}
