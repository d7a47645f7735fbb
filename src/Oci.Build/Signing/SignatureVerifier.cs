using System.Security.Cryptography;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>One signature that verified: the name it was made for.</summary>
public sealed record VerifiedSignature(string DockerReference, Digest ManifestDigest);

/// <summary>
/// Checks an image's cosign signatures in any source with a public key, as containers/image's <c>sigstoreSigned</c> does:
/// the payload's signature, its type, and that it names this manifest digest. Identity (which name) is the caller's
/// policy; the names signed are returned.
/// </summary>
public static class SignatureVerifier
{
    public static async Task<IReadOnlyList<VerifiedSignature>> VerifyAsync(IImageSource source, Descriptor image, ECDsa publicKey, CancellationToken cancellationToken)
    {
        var tag = AttachedObjects.SignatureTag(image.Digest);
        var signatureManifest = await source.TryResolveTagAsync(tag, cancellationToken).ConfigureAwait(false)
            ?? throw new OciException(ErrorCodes.SignatureMissing,
                $"{source.Description} has no signature for {image.Digest} (no {tag}). Sign it (ContainerSigningKey) or copy it with its signatures.");
        var manifest = OciJson.Deserialize<ImageManifest>(await source.ReadManifestAsync(signatureManifest, cancellationToken).ConfigureAwait(false), "signature manifest");
        var verified = new List<VerifiedSignature>();
        var problems = new List<string>();
        foreach (var layer in manifest.Layers)
        {
            if (layer.MediaType != SimpleSigningPayload.MediaType || layer.Annotation(CosignSignature.SignatureAnnotation) is not { } signature)
            {
                problems.Add($"{layer.Digest}: not a simple-signing layer with a signature");
                continue;
            }
            if (layer.Size > 64 * 1024)
            {
                problems.Add($"{layer.Digest}: a payload of {layer.Size} bytes");
                continue;
            }
            byte[] payload;
            await using (var stream = await source.OpenBlobAsync(layer, cancellationToken).ConfigureAwait(false))
            {
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                payload = buffer.ToArray();
            }
            if (!Signatures.VerifyBase64(publicKey, payload, signature))
            {
                problems.Add($"{layer.Digest}: the signature does not verify with the key");
                continue;
            }
            if (SimpleSigningPayload.TryParse(payload) is not { } parsed)
            {
                problems.Add($"{layer.Digest}: not a cosign container image signature payload");
                continue;
            }
            if (parsed.ManifestDigest != image.Digest)
            {
                problems.Add($"{layer.Digest}: signs {parsed.ManifestDigest}, not {image.Digest}");
                continue;
            }
            verified.Add(new VerifiedSignature(parsed.DockerReference, parsed.ManifestDigest));
        }
        if (verified.Count == 0)
            throw new OciException(ErrorCodes.SignatureInvalid,
                $"No signature of {image.Digest} in {source.Description} verifies with the key ({string.Join("; ", problems)}). Do not use this image; " +
                "check that the public key is the signer's and that the image came from the signed build.");
        return verified;
    }
}
