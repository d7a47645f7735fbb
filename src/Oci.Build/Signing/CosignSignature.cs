using System.Text.Json;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>
/// The signature object cosign stores for one image digest (sigstore SIGNATURE_SPEC): an OCI manifest whose layers are
/// simple-signing payloads, each with its base64 signature in the <c>dev.cosignproject.cosign/signature</c> annotation,
/// tagged <c>sha256-HEX.sig</c> in the image's repository. One layer per name the image is pushed under.
/// </summary>
public static class CosignSignature
{
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";

    /// <summary>Signs <paramref name="digest"/> under every name in <paramref name="references"/>; each signature is checked before it is returned.</summary>
    public static AttachedArtifact Create(IImageSigner signer, Digest digest, IReadOnlyList<string> references)
    {
        var layers = new List<InMemoryBlob>();
        foreach (var reference in references.Distinct(StringComparer.Ordinal))
        {
            var payload = new SimpleSigningPayload(reference, digest).ToBytes();
            var signature = Signatures.SignChecked(signer, payload);
            var blob = InMemoryBlob.Of(payload, SimpleSigningPayload.MediaType);
            layers.Add(blob with { Descriptor = blob.Descriptor.WithAnnotation(SignatureAnnotation, signature) });
        }
        var config = InMemoryBlob.Of(Config(layers), MediaTypes.OciConfig);
        var manifest = InMemoryBlob.Of(OciJson.Serialize(new ImageManifest { Config = config.Descriptor, Layers = layers.Select(l => l.Descriptor).ToList() }),
            MediaTypes.OciManifest);
        return new AttachedArtifact(AttachedObjects.SignatureTag(digest), manifest, [config, .. layers], []);
    }

    /// <summary>The config cosign writes for a signature image: no platform, a zero time, the payloads as diff_ids.</summary>
    private static byte[] Config(IReadOnlyList<InMemoryBlob> layers)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("architecture", "");
            json.WriteString("created", "0001-01-01T00:00:00Z");
            json.WriteString("os", "");
            json.WriteStartObject("rootfs");
            json.WriteString("type", "layers");
            json.WriteStartArray("diff_ids");
            foreach (var layer in layers) json.WriteStringValue(layer.Descriptor.Digest.ToString());
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("config");
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
