using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>Reads a layout's single image for assertions.</summary>
public static class LayoutAssert
{
    public static (Descriptor Entry, ImageManifest Manifest) ReadImage(string layoutPath, string? tag = null)
    {
        var layout = OciLayout.Open(layoutPath);
        var entry = layout.FindManifest(tag);
        return (entry, OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "manifest"), "manifest"));
    }

    /// <summary>The image in <paramref name="layoutPath"/> has exactly the config and layers (digest, size, type) of <paramref name="expected"/>.</summary>
    public static void SameImage(ImageManifest expected, string layoutPath, string? tag = null)
    {
        var (_, actual) = ReadImage(layoutPath, tag);
        Assert.Equal(expected.Config.Digest, actual.Config.Digest);
        Assert.Equal(expected.Layers.Select(l => (l.Digest, l.Size, l.MediaType)), actual.Layers.Select(l => (l.Digest, l.Size, l.MediaType)));
        var layout = OciLayout.Open(layoutPath);
        foreach (var layer in actual.Layers)
        {
            using var stream = layout.OpenBlob(layer); // verifies the content against its digest
            stream.CopyTo(Stream.Null);
        }
    }

    /// <summary>No blob file in the layout has the digest of a plaintext layer that should be encrypted.</summary>
    public static void HasNoBlob(string layoutPath, IEnumerable<Digest> digests)
    {
        var present = Directory.EnumerateFiles(Path.Combine(layoutPath, "blobs"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToHashSet();
        foreach (var digest in digests) Assert.DoesNotContain(digest.Hex, present);
    }
}
