using Oci.Build.Oci;
using Oci.Build.Store;

namespace Oci.Build.Layers;

/// <summary>
/// Where a layer this build would otherwise compress may already exist compressed: the image this build replaces, in
/// its registry (ContainerPreviousImage). A fresh CI runner has an empty cache, but yesterday's image already holds the
/// runtime and package layers; fetching a blob is far cheaper than compressing it, and the push then finds it there.
/// </summary>
public interface IPreviousLayers
{
    /// <summary>Where the layers come from, for messages.</summary>
    string Description { get; }

    /// <summary>
    /// Whether any layer of this compression may be had. False (nothing to ask: no previous image, unreadable, other
    /// compression) lets the builder skip the tar+hash pass that asking needs.
    /// </summary>
    bool HasLayers(LayerCompression compression);

    /// <summary>
    /// Whether <see cref="HasLayers"/> answers at once: the previous image has been read (or found unreadable). Until
    /// then a fresh runner's builder hashes its tars while it waits, rather than after.
    /// </summary>
    bool IsRead { get; }

    /// <summary>
    /// Returns at once, having started reading the previous image (its manifest and config) in the background, so that
    /// those round trips overlap the build's own start (resolving the base, planning the layers) rather than follow it.
    /// </summary>
    void StartReading();

    /// <summary>
    /// Returns at once, having started in the background: reading the previous image, then fetching a few at a time the
    /// layers of this compression that a layer of this build may turn out to be (all but <paramref name="except"/>: the
    /// base image's, which are not built), each checked as it arrives, so that the downloads and their checks overlap this
    /// build's own tar+hash pass rather than follow it. What decompresses to more than <paramref name="maximumTarSize"/>
    /// is not one of them; what nobody asks for is thrown away.
    /// </summary>
    void StartFetching(LayerCompression compression, long maximumTarSize, IReadOnlySet<Digest> except, ContentStore store);

    /// <summary>
    /// Puts into <paramref name="store"/> the compressed blob whose tar is <paramref name="diffId"/> (of
    /// <paramref name="uncompressedSize"/> bytes), verified both ways (its digest, and its tar's digest by decompressing
    /// it); null when there is none, or when what came is not that tar (then nothing is stored).
    /// </summary>
    CachedLayer? TryStore(Digest diffId, long uncompressedSize, LayerCompression compression, ContentStore store, CancellationToken cancellationToken);
}
