using System.Text;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Unit;

public class OciJsonTests
{
    private static readonly Digest Empty = Digest.Of([]);

    [Fact]
    public void Manifest_serializes_compactly_in_field_order_with_sorted_annotations_and_no_nulls()
    {
        var manifest = new ImageManifest
        {
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Empty, Size = 2 },
            Layers = [new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Empty, Size = 3 }],
            Annotations = new Dictionary<string, string> { ["z"] = "last", ["a"] = "<first>" },
        };
        var json = Encoding.UTF8.GetString(OciJson.Serialize(manifest));
        var golden = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "manifest.json")).TrimEnd();
        Assert.Equal(golden, json);
    }

    [Fact]
    public void Reading_refuses_documents_that_are_not_oci_json()
    {
        Assert.Equal(ErrorCodes.InvalidDocument, Assert.Throws<OciException>(() => OciJson.Deserialize<ImageManifest>("{\"config\":"u8, "manifest")).Code);
        Assert.Equal(ErrorCodes.InvalidDocument, Assert.Throws<OciException>(() => OciJson.Deserialize<ImageManifest>("null"u8, "manifest")).Code);
    }
}
