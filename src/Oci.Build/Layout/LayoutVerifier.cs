using Oci.Build.Oci;

namespace Oci.Build.Layout;

public sealed record LayoutProblem(Digest Digest, string Role, string Code, string Message);

public sealed record LayoutVerification(int Blobs, long Bytes, IReadOnlyList<LayoutProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// Reads every blob a layout references and checks it against its descriptor (size and digest), collecting every
/// problem instead of stopping at the first: what a receiving site runs before it trusts a layout from outside.
/// </summary>
public static class LayoutVerifier
{
    public static LayoutVerification Verify(OciLayout layout)
    {
        var problems = new List<LayoutProblem>();
        var blobs = 0;
        long bytes = 0;
        using var walk = LayoutWalker.Walk(layout).GetEnumerator();
        while (true)
        {
            ReachableBlob blob;
            try
            {
                if (!walk.MoveNext()) break;
                blob = walk.Current;
            }
            catch (OciException ex)
            {
                // A manifest or index that cannot be read hides what it references: report it and stop the walk there.
                problems.Add(new LayoutProblem(default, "document", ex.Code, ex.Message));
                break;
            }
            blobs++;
            try
            {
                using var stream = layout.OpenBlob(blob.Descriptor);
                stream.CopyTo(Stream.Null, 1 << 17);
                bytes += blob.Descriptor.Size;
            }
            catch (OciException ex)
            {
                problems.Add(new LayoutProblem(blob.Descriptor.Digest, blob.Role, ex.Code, ex.Message));
            }
        }
        return new LayoutVerification(blobs, bytes, problems);
    }
}
