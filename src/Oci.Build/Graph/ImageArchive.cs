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
        return ImageCopier.CopyAsync(source, sink, LayoutRoots.Of(layout)).GetAwaiter().GetResult();
    }
}
