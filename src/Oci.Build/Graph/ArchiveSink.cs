using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>
/// An OCI archive as a sink (<c>oci-archive:FILE[:TAG]</c>). A tar is written in one pass and must be reproducible, so
/// the images are first gathered in a staging layout beside the archive (blobs that come as local files are hard-linked
/// there when <c>linkLocalFiles</c>), and <see cref="CommitAsync"/> writes the tar (<see cref="OciArchive.Write"/>) and
/// replaces the file atomically.
/// </summary>
public sealed class ArchiveSink : IImageSink
{
    private readonly string _archive;
    private readonly string _staging;
    private readonly LayoutSink _layout;
    private readonly long _unixTime;
    private readonly string? _imageName;

    /// <param name="linkLocalFiles">Link the source's files into the staging layout unread (the build's own layout); false
    /// reads and verifies every blob.</param>
    /// <param name="imageName">See <see cref="OciArchive.Write"/>: index.json names each image once, by its full reference.</param>
    public ArchiveSink(string archivePath, long unixTime = 0, string? imageName = null, bool linkLocalFiles = false)
    {
        _archive = Path.GetFullPath(archivePath);
        _staging = Path.Combine(Path.GetDirectoryName(_archive)!, $".{Path.GetFileName(_archive)}.{Guid.NewGuid():N}.layout");
        _layout = new LayoutSink(_staging, linkLocalFiles);
        _unixTime = unixTime;
        _imageName = imageName;
    }

    public string Description => $"oci-archive:{_archive}";

    public Task<BlobPushResult> PutBlobAsync(BlobContent blob, CancellationToken cancellationToken) => _layout.PutBlobAsync(blob, cancellationToken);

    public Task<bool> PutManifestAsync(Descriptor descriptor, byte[] content, IReadOnlyList<string>? tags, CancellationToken cancellationToken) =>
        _layout.PutManifestAsync(descriptor, content, tags, cancellationToken);

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await _layout.CommitAsync(cancellationToken).ConfigureAwait(false);
        OciArchive.Write(_staging, _archive, _unixTime, _imageName);
    }

    public void Dispose()
    {
        _layout.Dispose();
        if (Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
    }
}
