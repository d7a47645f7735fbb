using System.Collections.Concurrent;
using Oci.Build.Oci;

namespace Oci.Build.Registry.Transfer;

/// <summary>
/// Where the blobs of several images copied at the same time into one registry land: the first image to need a blob
/// uploads it, and every other image that needs it waits for that upload and then mounts it from the repository it
/// landed in. So images that share layers (an app and the invocation image on one base) are copied side by side from
/// the start, and each shared blob is still sent once.
/// </summary>
/// <remarks>
/// Only an image that is uploading holds a claim, and an upload never waits for another image: a wait always ends.
/// </remarks>
public sealed class BlobPlacements
{
    // Per registry host: name resolution may send the images of one copy to different hosts, and a mount works within one.
    private readonly ConcurrentDictionary<(string Host, Digest Digest), TaskCompletionSource<string?>> _landing = new();

    /// <summary>
    /// True when the caller is the first to need <paramref name="digest"/> on <paramref name="host"/> and must upload it
    /// (then report <see cref="Landed"/> or <see cref="Failed"/>); otherwise <paramref name="landing"/> gives the
    /// repository it lands in, or null when that upload failed.
    /// </summary>
    public bool Claim(string host, Digest digest, out Task<string?> landing)
    {
        var mine = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = _landing.GetOrAdd((host.ToLowerInvariant(), digest), mine);
        landing = current.Task;
        return current == mine;
    }

    public void Landed(string host, Digest digest, string repository) => _landing[(host.ToLowerInvariant(), digest)].TrySetResult(repository);

    /// <summary>The waiting images upload the blob themselves.</summary>
    public void Failed(string host, Digest digest) => _landing[(host.ToLowerInvariant(), digest)].TrySetResult(null);
}
