using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Archives;

/// <summary>
/// The names of a thick archive, Porter's layout (<c>porter archive</c>, read by <c>porter publish --archive</c>):
/// <code>
/// ./bundle.json                  the canonical bundle
/// ./relocation-mapping.json      each image of the bundle -> where it was when archived (digest pinned)
/// ./checksums.sha256             every other file's sha256, in sha256sum's format
/// ./checksums.sha256.sig         (when signed) base64 DER ECDSA-SHA256 signature of checksums.sha256 (cosign sign-blob's)
/// ./artifacts/layout/...         an OCI layout with every image, each index entry named by its original reference
/// ./tools/*.nupkg                (optional) the dotnet-oci tool package, to install it offline
/// ./delta.json                   (a delta archive only) its baseline and the blobs it expects at the site (<see cref="DeltaRecord"/>)
/// </code>
/// An archive exported from images without a bundle has only the layout and the checksum file.
/// </summary>
public static class ThickArchive
{
    public const string BundleFile = "bundle.json";
    public const string MappingFile = "relocation-mapping.json";
    public const string ChecksumFile = "checksums.sha256";
    public const string ChecksumSignatureFile = "checksums.sha256.sig";
    public const string DeltaFile = "delta.json";
    public const string LayoutDirectory = "artifacts/layout/";
    public const string ToolsDirectory = "tools/";

    /// <summary>True for a thick archive's members (bundle.json or artifacts/), false for a plain OCI archive's.</summary>
    public static bool IsThick(IEnumerable<string> names) =>
        names.Any(n => n is BundleFile || n.StartsWith("artifacts/", StringComparison.Ordinal));

    /// <summary>Refuses a member that has no place in a thick archive (anything but the names above).</summary>
    public static void CheckName(string name, string archivePath)
    {
        var allowed = name is BundleFile or MappingFile or ChecksumFile or ChecksumSignatureFile or DeltaFile
            || (name.StartsWith(LayoutDirectory, StringComparison.Ordinal) && IsLayoutName(name[LayoutDirectory.Length..]))
            || (name.StartsWith(ToolsDirectory, StringComparison.Ordinal) && name.EndsWith(".nupkg", StringComparison.Ordinal)
                && name[ToolsDirectory.Length..].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
        if (!allowed)
            throw new OciException(ErrorCodes.UnsafeArchiveEntry, $"'{archivePath}' contains '{name}', which has no place in a thick archive; refusing the archive.");
    }

    private static bool IsLayoutName(string name)
    {
        try
        {
            return OciArchive.SafeName(name, "") is not null;
        }
        catch (OciException)
        {
            return false;
        }
    }
}
