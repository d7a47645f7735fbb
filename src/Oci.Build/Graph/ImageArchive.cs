using Oci.Build.Layout;

namespace Oci.Build.Graph;

/// <summary>
/// Writes the images of a layout as an OCI archive: a copy from the layout to an <see cref="ArchiveSink"/>, so the archive
/// holds exactly what the index reaches, byte for byte, in a reproducible tar.
/// </summary>
public static class ImageArchive
{
    /// <param name="imageName">See <see cref="OciArchive.Write"/>: each image named once, by its full first reference.</param>
    public static CopyResult Write(string layoutPath, string archivePath, long unixTime = 0, string? imageName = null)
    {
        var layout = OciLayout.Open(layoutPath);
        using var source = new LayoutSource(layout);
        // The build's own layout: its files are linked into the staging layout unread, as a copy of the directory would be.
        using var sink = new ArchiveSink(archivePath, unixTime, imageName, linkLocalFiles: true);
        // A named archive is what `podman load` takes, and podman (containers/image's oci-archive without a reference)
        // refuses an index.json with more than one entry: it holds the images only, not the objects attached to them
        // (the SBOM's referrers index, signatures). Those travel in layouts, registries and thick archives.
        var roots = LayoutRoots.Of(layout);
        if (imageName is not null)
            roots = roots.Where(r => !r.Tags.Any(AttachedObjects.IsAttachedTag)).ToList();
        return ImageCopier.CopyAsync(source, sink, roots).GetAwaiter().GetResult();
    }
}
