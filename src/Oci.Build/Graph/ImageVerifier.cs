using Oci.Build.Oci;

namespace Oci.Build.Graph;

public sealed record VerificationProblem(Digest Digest, string Role, string Code, string Message);

public sealed record Verification(int Blobs, long Bytes, IReadOnlyList<VerificationProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// Reads every blob an image graph references and checks it against its descriptor (size and digest), collecting every
/// problem instead of stopping at the first: what a receiving site runs before it trusts images from outside. A
/// manifest or index that cannot be read hides what it references: it is reported and the walk stops there.
/// </summary>
public static class ImageVerifier
{
    public static async Task<Verification> VerifyAsync(IImageSource source, IReadOnlyList<Descriptor> roots, CancellationToken cancellationToken = default)
    {
        ImageGraph graph;
        try
        {
            graph = await ImageWalker.WalkAsync(source, roots, cancellationToken).ConfigureAwait(false);
        }
        catch (OciException ex)
        {
            return new Verification(0, 0, [new VerificationProblem(default, "document", ex.Code, ex.Message)]);
        }
        var problems = new List<VerificationProblem>();
        long bytes = graph.Documents.Sum(d => d.Descriptor.Size); // read and verified by the walk
        foreach (var blob in graph.Blobs)
        {
            try
            {
                await using var stream = await source.OpenBlobAsync(blob.Descriptor, cancellationToken).ConfigureAwait(false);
                await stream.CopyToAsync(Stream.Null, 1 << 17, cancellationToken).ConfigureAwait(false);
                bytes += blob.Descriptor.Size;
            }
            catch (OciException ex)
            {
                problems.Add(new VerificationProblem(blob.Descriptor.Digest, blob.Role, ex.Code, ex.Message));
            }
        }
        return new Verification(graph.Documents.Count + graph.Blobs.Count, bytes, problems);
    }
}
