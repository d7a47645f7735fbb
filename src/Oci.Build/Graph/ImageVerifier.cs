using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>What failed to verify; <see cref="Digest"/> null: a document could not be read at all.</summary>
public sealed record VerificationProblem(Digest? Digest, string Role, string Code, string Message);

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
    /// <param name="progress">Bytes and blobs read so far (the documents are read by the walk before it starts).</param>
    public static async Task<Verification> VerifyAsync(IImageSource source, IReadOnlyList<Descriptor> roots, CancellationToken cancellationToken = default,
        IProgress<CopyProgress>? progress = null)
    {
        ImageGraph graph;
        try
        {
            graph = await ImageWalker.WalkAsync(source, roots, cancellationToken).ConfigureAwait(false);
        }
        catch (OciException ex)
        {
            return new Verification(0, 0, [new VerificationProblem(null, "document", ex.Code, ex.Message)]);
        }
        var problems = new List<VerificationProblem>();
        long bytes = graph.Documents.Sum(d => d.Descriptor.Size); // read and verified by the walk
        var counter = progress is null ? null : new CopyProgressCounter(progress, graph.Blobs.Sum(b => b.Descriptor.Size), graph.Blobs.Count);
        counter?.Start();
        async Task<bool> Read(BlobContent blob)
        {
            await using var stream = await blob.OpenAsync(cancellationToken).ConfigureAwait(false);
            await stream.CopyToAsync(Stream.Null, 1 << 17, cancellationToken).ConfigureAwait(false);
            return true;
        }
        foreach (var blob in graph.Blobs)
        {
            try
            {
                var content = BlobContent.From(source, blob.Descriptor);
                await (counter is null ? Read(content) : counter.TrackAsync(content, Read)).ConfigureAwait(false);
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
