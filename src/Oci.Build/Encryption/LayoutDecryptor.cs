using Oci.Build.Encryption.Cipher;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Graph;
using Oci.Build.IO;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Encryption;

public sealed record LayoutDecryptionRequest
{
    public required string SourceLayout { get; init; }
    public required string DestinationLayout { get; init; }
    public required DecryptionKeySet Keys { get; init; }
}

public sealed record LayoutDecryptionResult(string LayoutPath, IReadOnlyDictionary<Digest, Descriptor> Manifests, int DecryptedLayers);

/// <summary>
/// Turns an encrypted layout back into the plain one (what <c>DecryptOciImage</c> and <c>dotnet oci decrypt</c> run).
/// For each encrypted layer: unwrap the options with any scheme and key that fits, verify the HMAC over the whole
/// ciphertext BEFORE producing any plaintext, then decrypt into a private temporary file (checking the HMAC again, in
/// case the blob changed in between) and only then add it to the staged layout. Any failure leaves nothing behind.
/// </summary>
public sealed class LayoutDecryptor(IBuildLog log)
{
    public LayoutDecryptionResult Decrypt(LayoutDecryptionRequest request)
    {
        var source = OciLayout.Open(request.SourceLayout);
        var decrypted = new Dictionary<Digest, Descriptor>();
        using var sink = new LayoutSink(request.DestinationLayout);
        var scratch = Path.Combine(Path.GetDirectoryName(sink.Destination)!, $".{Path.GetFileName(sink.Destination)}.decrypt-{Guid.NewGuid():N}");
        try
        {
            var copy = ImageCopier.CopyAsync(new LayoutSource(source), sink, LayoutRoots.Of(source), new CopyOptions
            {
                TransformLayer = (content, target, _) =>
                {
                    var layer = content.Descriptor;
                    if (!EncryptionAnnotations.IsEncrypted(layer.MediaType)) return Task.FromResult<Descriptor?>(null);
                    if (!decrypted.TryGetValue(layer.Digest, out var plain))
                        decrypted[layer.Digest] = plain = DecryptLayer(source, target, layer, request.Keys, scratch);
                    return Task.FromResult<Descriptor?>(plain);
                },
            }).GetAwaiter().GetResult();
            log.Detail($"Decrypted {decrypted.Count} layer(s) into {sink.Destination}.");
            return new LayoutDecryptionResult(sink.Destination, LayoutRoots.Manifests(copy), decrypted.Count);
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    private Descriptor DecryptLayer(OciLayout source, IImageSink sink, Descriptor layer, DecryptionKeySet keys, string scratch)
    {
        var publicText = layer.Annotation(EncryptionAnnotations.PublicOptions)
            ?? throw new OciException(ErrorCodes.InvalidEncryptedLayer, $"Encrypted layer {layer.Digest} has no '{EncryptionAnnotations.PublicOptions}' annotation; it cannot be decrypted.");
        PublicLayerOptions publicOptions;
        try
        {
            publicOptions = PublicLayerOptions.Parse(Base64.Decode(publicText));
        }
        catch (FormatException ex)
        {
            throw new OciException(ErrorCodes.InvalidEncryptedLayer, $"Encrypted layer {layer.Digest}: {ex.Message}", ex);
        }
        var cipher = LayerCiphers.Find(publicOptions.Cipher)
            ?? throw new OciException(ErrorCodes.InvalidEncryptedLayer,
                $"Encrypted layer {layer.Digest} uses cipher '{publicOptions.Cipher}'; this version knows {string.Join(", ", LayerCiphers.Names)}.");
        var privateOptions = Unwrap(layer, keys);

        try
        {
            // Pass 1: authenticate the ciphertext; no plaintext exists yet.
            using (var ciphertext = source.OpenBlob(layer))
                cipher.Verify(ciphertext, publicOptions, privateOptions);

            // Pass 2: decrypt into private scratch space; the HMAC is checked again at the end.
            Directory.CreateDirectory(scratch);
            var temp = Path.Combine(scratch, Guid.NewGuid().ToString("N"));
            Digest digest;
            try
            {
                using (var ciphertext = source.OpenBlob(layer))
                using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                using (var plaintext = new DigestingStream(file))
                {
                    cipher.Decrypt(ciphertext, plaintext, publicOptions, privateOptions);
                    digest = plaintext.Digest;
                }
                var descriptor = layer with { MediaType = EncryptionAnnotations.ToPlain(layer.MediaType), Digest = digest, Annotations = WithoutEncryptionAnnotations(layer.Annotations) };
                LayoutRoots.PutFile(sink, temp, descriptor);
                // ocicrypt never checks the recorded digest and some writers get it wrong: worth a note, not a failure.
                if (privateOptions.Digest is { } recorded && recorded != digest.ToString())
                    log.Detail($"  layer {layer.Digest}: its options record plaintext digest {recorded}, the plaintext is {digest} (ignored; the HMAC verified).");
                log.Detail($"  layer {layer.Digest}: decrypted -> {digest}");
                return descriptor;
            }
            finally
            {
                File.Delete(temp);
            }
        }
        catch (LayerAuthenticationException ex)
        {
            throw new OciException(ErrorCodes.LayerIntegrity,
                $"Encrypted layer {layer.Digest} in {source.Description} failed authentication: {ex.Message}. Nothing was written; re-fetch the image from a trusted source.", ex);
        }
    }

    /// <summary>Tries every scheme on the layer with every key; a failure names the schemes present and the keys tried.</summary>
    private static PrivateLayerOptions Unwrap(Descriptor layer, DecryptionKeySet keys)
    {
        var attempts = new UnwrapAttempts();
        var schemes = new List<string>();
        var problems = new List<string>();
        foreach (var (annotation, value) in (layer.Annotations ?? new Dictionary<string, string>()).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (!annotation.StartsWith(EncryptionAnnotations.KeysPrefix, StringComparison.Ordinal)) continue;
            var scheme = annotation[EncryptionAnnotations.KeysPrefix.Length..];
            schemes.Add(scheme);
            var wrapper = KeyWrappers.ForAnnotation(annotation);
            if (wrapper is null)
            {
                attempts.Tried(scheme, "not supported by this version");
                continue;
            }
            foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                try
                {
                    if (wrapper.Unwrap(annotation, Base64.Decode(entry), keys, attempts) is { } options)
                        return PrivateLayerOptions.Parse(options);
                }
                catch (FormatException ex)
                {
                    problems.Add($"{scheme}: {ex.Message}");
                }
            }
        }
        if (schemes.Count == 0)
            throw new OciException(ErrorCodes.InvalidEncryptedLayer, $"Encrypted layer {layer.Digest} carries no wrapped keys ({EncryptionAnnotations.KeysPrefix}*); it cannot be decrypted.");
        var tried = attempts.Lines.Distinct().ToList();
        throw new OciException(ErrorCodes.NoMatchingKey,
            $"None of the decryption keys opens layer {layer.Digest}. It is encrypted for: {string.Join(", ", schemes.Distinct())}. " +
            $"Tried: {(tried.Count == 0 ? "nothing" : string.Join("; ", tried))}." +
            (problems.Count > 0 ? $" Problems: {string.Join("; ", problems.Distinct())}." : "") +
            " Give the private key of one of the recipients.");
    }

    private static IReadOnlyDictionary<string, string>? WithoutEncryptionAnnotations(IReadOnlyDictionary<string, string>? annotations)
    {
        if (annotations is null) return null;
        var kept = annotations.Where(a => !a.Key.StartsWith(EncryptionAnnotations.Prefix, StringComparison.Ordinal)).ToDictionary(a => a.Key, a => a.Value);
        return kept.Count == 0 ? null : kept;
    }
}
