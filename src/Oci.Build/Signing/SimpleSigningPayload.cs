using System.Text;
using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>
/// The payload a cosign signature signs ("simple signing", sigstore's SIGNATURE_SPEC): which manifest digest, under
/// which name. containers/image parses it strictly (exactly <c>critical</c> and <c>optional</c>; exactly
/// <c>identity</c>, <c>image</c>, <c>type</c>), so it is written with exactly those fields and nothing else.
/// </summary>
public sealed record SimpleSigningPayload(string DockerReference, Digest ManifestDigest)
{
    public const string MediaType = "application/vnd.dev.cosign.simplesigning.v1+json";
    public const string SignatureType = "cosign container image signature";

    /// <summary>The bytes to sign: compact JSON in a fixed field order (cosign's own order), no clock, no creator.</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("critical");
            json.WriteStartObject("identity");
            json.WriteString("docker-reference", DockerReference);
            json.WriteEndObject();
            json.WriteStartObject("image");
            json.WriteString("docker-manifest-digest", ManifestDigest.ToString());
            json.WriteEndObject();
            json.WriteString("type", SignatureType);
            json.WriteEndObject();
            json.WriteNull("optional");
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Reads a payload (already authenticated by its signature); null when it is not a cosign image signature.</summary>
    public static SimpleSigningPayload? TryParse(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var critical = document.RootElement.GetProperty("critical");
            if (critical.GetProperty("type").GetString() != SignatureType) return null;
            var reference = critical.GetProperty("identity").GetProperty("docker-reference").GetString();
            var digest = critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString();
            return reference is not null && Digest.TryParse(digest, out var parsed) ? new SimpleSigningPayload(reference, parsed) : null;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public override string ToString() => Encoding.UTF8.GetString(ToBytes());
}
