using Oci.Build.Oci;

namespace Oci.Build.Graph;

public enum ImageTransport
{
    /// <summary><c>oci:DIR[:TAG]</c>, an OCI image layout directory.</summary>
    Layout,
    /// <summary><c>oci-archive:FILE[:TAG]</c>, a tar of a layout.</summary>
    Archive,
    /// <summary><c>docker://HOST/REPO[:TAG][@DIGEST]</c>, a registry repository.</summary>
    Registry,
}

/// <summary>
/// Where an image is, in skopeo's spelling: <c>oci:DIR[:TAG]</c>, <c>oci-archive:FILE[:TAG]</c>, <c>docker://HOST/REPO:TAG</c>.
/// The one parser of these forms (base images, the CLI, copies). For local forms <see cref="Path"/> is the path and
/// <see cref="Reference"/> the tag (or digest); for registries <see cref="Image"/> is the parsed reference.
/// </summary>
public sealed record ImageLocation(ImageTransport Transport, string Path, string? Reference, ImageReference? Image)
{
    public const string LayoutPrefix = "oci:";
    public const string ArchivePrefix = "oci-archive:";
    public const string RegistryPrefix = "docker://";

    public override string ToString() => Transport switch
    {
        ImageTransport.Layout => $"{LayoutPrefix}{Path}{(Reference is null ? "" : ":" + Reference)}",
        ImageTransport.Archive => $"{ArchivePrefix}{Path}{(Reference is null ? "" : ":" + Reference)}",
        _ => $"{RegistryPrefix}{Image}",
    };

    /// <summary>True for the local forms <c>oci:</c> and <c>oci-archive:</c>.</summary>
    public static bool IsLocal(string spec) =>
        spec.StartsWith(LayoutPrefix, StringComparison.Ordinal) || spec.StartsWith(ArchivePrefix, StringComparison.Ordinal);

    /// <param name="baseDirectory">Relative local paths resolve from here (null: kept as given).</param>
    /// <param name="bareRegistryReferences">Accept <c>HOST/REPO:TAG</c> without <c>docker://</c> (as ContainerBaseImage does).</param>
    public static ImageLocation Parse(string spec, string? baseDirectory = null, bool bareRegistryReferences = false)
    {
        foreach (var (prefix, transport) in new[] { (LayoutPrefix, ImageTransport.Layout), (ArchivePrefix, ImageTransport.Archive) })
        {
            if (!spec.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var (path, tag) = SplitPathAndTag(spec[prefix.Length..]);
            if (path.Length == 0)
                throw new OciException(ErrorCodes.InvalidBaseImage, $"'{spec}' names no {(transport == ImageTransport.Layout ? "directory: use oci:DIR[:TAG]" : "file: use oci-archive:FILE[:TAG]")}.");
            return new ImageLocation(transport, baseDirectory is null ? path : System.IO.Path.Combine(baseDirectory, path), tag, null);
        }
        var text = spec.StartsWith(RegistryPrefix, StringComparison.Ordinal) ? spec[RegistryPrefix.Length..]
            : bareRegistryReferences ? spec
            : throw new OciException(ErrorCodes.InvalidBaseImage, $"'{spec}' is not an image location: use oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker://HOST/REPO:TAG.");
        if (!ImageReference.TryParse(text, out var reference, out var error))
            throw new OciException(ErrorCodes.InvalidBaseImage, $"'{spec}' is not a valid image reference: {error}.");
        return new ImageLocation(ImageTransport.Registry, "", reference!.Digest?.ToString() ?? reference.Tag, reference);
    }

    /// <summary>Splits <c>PATH[:TAG]</c> as skopeo does: a final <c>:name</c> without slashes is the tag.</summary>
    public static (string Path, string? Tag) SplitPathAndTag(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon > 0 && colon < value.Length - 1 && !value[(colon + 1)..].Contains('/') && !value[(colon + 1)..].Contains('\\')
            && !(colon == 1 && char.IsLetter(value[0])))
            return (value[..colon], value[(colon + 1)..]);
        return (value.TrimEnd(':'), null);
    }
}
