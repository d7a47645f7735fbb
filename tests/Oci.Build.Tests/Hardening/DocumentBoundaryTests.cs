using System.Security.Cryptography;
using System.Text;
using Oci.Build.Encryption.KeyWrap.Pkcs7;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Hardening;

/// <summary>
/// Documents from outside become typed values at one boundary (OciDocuments, reached through OciJson.Deserialize):
/// every malformed shape is a coded error, never a NullReferenceException; canonical digests only; sha512 accepted.
/// </summary>
public sealed class DocumentBoundaryTests
{
    private const string D = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static string Layer(string digest = D, string size = "10", string mediaType = "\"application/vnd.oci.image.layer.v1.tar+gzip\"") =>
        $"{{\"mediaType\":{mediaType},\"digest\":\"{digest}\",\"size\":{size}}}";

    private static string Manifest(string layers, string? config = null) =>
        $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciManifest}\",\"config\":{config ?? $"{{\"mediaType\":\"{MediaTypes.OciConfig}\",\"digest\":\"{D}\",\"size\":2}}"},\"layers\":{layers}}}";

    public static TheoryData<string, string> BadManifests => new()
    {
        { "layers null", Manifest("null") },
        { "a null layer", Manifest("[null]") },
        { "config null", Manifest("[]", "null") },
        { "negative size", Manifest($"[{Layer(size: "-1")}]") },
        { "size is a string", Manifest($"[{Layer(size: "\"10\"")}]") },
        { "digest with a trailing newline", Manifest($"[{Layer(digest: D + "\\n")}]") },
        { "upper-case digest", Manifest($"[{Layer(digest: D.ToUpperInvariant())}]") },
        { "md5 digest", Manifest($"[{Layer(digest: "md5:0123456789abcdef0123456789abcdef")}]") },
        { "media type null", Manifest($"[{Layer(mediaType: "null")}]") },
        { "media type a number", Manifest($"[{Layer(mediaType: "7")}]") },
        { "media type not type/subtype", Manifest($"[{Layer(mediaType: "\"gzip\"")}]") },
        { "schemaVersion 1", Manifest("[]").Replace("\"schemaVersion\":2", "\"schemaVersion\":1") },
        { "an index media type", Manifest("[]").Replace(MediaTypes.OciManifest, MediaTypes.OciIndex) },
        { "not an object", "[1,2,3]" },
        { "JSON null", "null" },
        { "not JSON", "\u0000\u0001garbage" },
        { "annotation value null", Manifest("[]").TrimEnd('}') + ",\"annotations\":{\"a\":null}}" },
    };

    [Theory]
    [MemberData(nameof(BadManifests))]
    public void A_malformed_manifest_is_a_coded_error(string why, string json)
    {
        var error = Assert.Throws<OciException>(() => OciDocuments.ReadManifest(Encoding.UTF8.GetBytes(json), "image manifest"));
        Assert.True(error.Code == ErrorCodes.InvalidDocument, $"{why}: {error.Code} {error.Message}");
    }

    public static TheoryData<string, string> BadIndexes => new()
    {
        { "manifests null", "{\"schemaVersion\":2,\"manifests\":null}" },
        { "a null entry", "{\"schemaVersion\":2,\"manifests\":[null]}" },
        { "an entry of unknown media type", $"{{\"schemaVersion\":2,\"manifests\":[{Layer()}]}}" },
        { "a platform without os", $"{{\"schemaVersion\":2,\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{D}\",\"size\":5,\"platform\":{{\"architecture\":\"amd64\",\"os\":null}}}}]}}" },
        { "a number where a string belongs", "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":5,\"digest\":\"" + D + "\",\"size\":1}]}" },
    };

    [Theory]
    [MemberData(nameof(BadIndexes))]
    public void A_malformed_index_is_a_coded_error(string why, string json)
    {
        var error = Assert.Throws<OciException>(() => OciDocuments.ReadIndex(Encoding.UTF8.GetBytes(json), "image index"));
        Assert.True(error.Code == ErrorCodes.InvalidDocument, $"{why}: {error.Code} {error.Message}");
    }

    [Theory]
    [InlineData("not JSON at all")]
    [InlineData("[]")]
    [InlineData("{\"os\":7}")]
    [InlineData("{\"created\":12}")]
    [InlineData("{\"rootfs\":\"layers\"}")]
    [InlineData("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":{}}}")]
    [InlineData("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[null]}}")]
    [InlineData("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:abc\"]}}")]
    [InlineData("{\"config\":[]}")]
    public void A_config_that_is_not_a_config_is_a_coded_error(string json)
    {
        var error = Assert.Throws<OciException>(() => OciDocuments.ReadConfig(Encoding.UTF8.GetBytes(json), "image config"));
        Assert.Equal(ErrorCodes.InvalidDocument, error.Code);
    }

    [Theory]
    [InlineData("{\"imageLayoutVersion\":1}")]
    [InlineData("{\"imageLayoutVersion\":\"2.0.0\"}")]
    [InlineData("[\"imageLayoutVersion\"]")]
    [InlineData("null")]
    [InlineData("{")]
    public void An_oci_layout_file_of_the_wrong_shape_is_a_coded_error(string json)
    {
        var error = Assert.Throws<OciException>(() => OciDocuments.ReadLayoutMarker(Encoding.UTF8.GetBytes(json), "oci-layout"));
        Assert.Equal(ErrorCodes.InvalidLayout, error.Code);
    }

    [Fact]
    public void Valid_documents_and_sha512_digests_are_accepted()
    {
        var sha512 = Digest.Of("hello"u8, "sha512");
        Assert.Equal("sha512", sha512.Algorithm);
        Assert.Equal(128, sha512.Hex.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData("hello"u8)), sha512.Hex);
        var manifest = OciDocuments.ReadManifest(Encoding.UTF8.GetBytes(Manifest($"[{Layer()},{Layer(digest: sha512.ToString())}]")), "image manifest");
        Assert.Equal(sha512, manifest.Layers[1].Digest);
        var config = OciDocuments.ReadConfig("{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"u8, "image config");
        Assert.Equal("linux", (string?)config["os"]);
        OciDocuments.ReadLayoutMarker("{\"imageLayoutVersion\":\"1.0.0\"}"u8, "oci-layout");
        Assert.False(Digest.TryParse(D + "\n", out _));
        Assert.True(Digest.TryParse(D, out _));
    }

    [Fact]
    public void Deeply_nested_BER_is_refused_without_overflowing_the_stack()
    {
        // 200,000 nested indefinite-length SEQUENCEs: recursion would overflow the stack (uncatchable, the process dies).
        const int depth = 200_000;
        var indefinite = new byte[depth * 4];
        for (var i = 0; i < depth; i++) { indefinite[2 * i] = 0x30; indefinite[2 * i + 1] = 0x80; }
        Assert.Contains("nests more than", Assert.Throws<FormatException>(() => BerNode.Parse(indefinite)).Message);

        // The same with definite lengths, parsed lazily through Children: refused at the depth limit too.
        var definite = new List<byte>();
        var inner = Array.Empty<byte>();
        for (var i = 0; i < 100; i++)
        {
            var length = inner.Length;
            var header = length < 0x80 ? new byte[] { 0x30, (byte)length } : new byte[] { 0x30, 0x82, (byte)(length >> 8), (byte)length };
            inner = [.. header, .. inner];
        }
        var node = BerNode.Parse(inner);
        Assert.Throws<FormatException>(() => Descend(node));

        // Oversized input and huge tag numbers are refused before any work.
        Assert.Throws<FormatException>(() => BerNode.Parse(new byte[BerNode.MaxSize + 1]));
        Assert.Throws<FormatException>(() => BerNode.Parse([0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00]));
    }

    private static void Descend(BerNode node)
    {
        while (true) node = node.Children[0];
    }
}
