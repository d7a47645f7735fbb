using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>
/// What the site requires of an image before it is trusted: one public key (<c>--key PUB.pem</c>: a cosign signature by
/// that key naming the image, containers/image's default <c>matchRepoDigestOrExact</c>), or the subset of
/// containers-policy.json (<c>--policy</c>) that key signatures need: <c>default</c> and <c>transports.docker</c> scopes
/// with <c>insecureAcceptAnything</c>, <c>reject</c> and <c>sigstoreSigned</c> (<c>keyPath(s)</c>/<c>keyData(s)</c>,
/// <c>signedIdentity</c>). Anything else in a policy is refused with <see cref="ErrorCodes.PolicyUnsupported"/>: a
/// requirement silently skipped would accept what the site meant to refuse. The same file works with skopeo/podman.
/// </summary>
public sealed class SignaturePolicy : IDisposable
{
    private readonly IReadOnlyList<PolicyRequirement> _default;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<PolicyRequirement>> _scopes;

    private SignaturePolicy(string description, IReadOnlyList<PolicyRequirement> defaults, IReadOnlyDictionary<string, IReadOnlyList<PolicyRequirement>> scopes)
    {
        Description = description;
        _default = defaults;
        _scopes = scopes;
    }

    public string Description { get; }

    /// <summary>
    /// True for a site's policy.json: images are judged under their names at the site (hence <c>remapIdentity</c>). False
    /// for <c>--key</c>: the signature must name the image as it was archived (the signer's name for it).
    /// </summary>
    public bool JudgesSiteNames { get; private init; }

    /// <summary>Every key the policy names: a thick archive's checksum signature must verify with one of them.</summary>
    public IReadOnlyList<ECDsa> Keys => _default.Concat(_scopes.Values.SelectMany(r => r)).SelectMany(r => r.Keys).ToList();

    public static SignaturePolicy ForKey(string publicKeyPath)
    {
        var key = SigningKeys.ReadPublicKey(publicKeyPath);
        return new SignaturePolicy($"the key {publicKeyPath}", [PolicyRequirement.Sigstore([key], SignedIdentity.MatchRepoDigestOrExact)],
            new Dictionary<string, IReadOnlyList<PolicyRequirement>>());
    }

    public static SignaturePolicy Load(string path)
    {
        var full = Path.GetFullPath(path);
        JsonDocument document;
        try
        {
            var info = new FileInfo(full);
            if (!info.Exists) throw new OciException(ErrorCodes.PolicyUnreadable, $"The policy {full} does not exist.");
            if (info.Length > 1 << 20) throw new OciException(ErrorCodes.PolicyUnreadable, $"The policy {full} is {info.Length} bytes; a policy is a few hundred. Refusing it.");
            document = JsonDocument.Parse(File.ReadAllBytes(full));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new OciException(ErrorCodes.PolicyUnreadable, $"The policy {full} cannot be read as JSON: {ex.Message}", ex);
        }
        var keys = new List<ECDsa>();
        try
        {
            using (document)
            {
                var root = Expect(document.RootElement, JsonValueKind.Object, full, "the policy");
                CheckFields(root, full, "the policy", "default", "transports");
                if (!root.TryGetProperty("default", out var defaults))
                    throw new OciException(ErrorCodes.PolicyUnreadable, $"The policy {full} has no \"default\" (containers-policy.json requires it; [{{\"type\":\"reject\"}}] refuses what no scope names).");
                var baseDirectory = Path.GetDirectoryName(full)!;
                var parsedDefault = Requirements(defaults, full, "default", baseDirectory, keys);
                var scopes = new Dictionary<string, IReadOnlyList<PolicyRequirement>>(StringComparer.Ordinal);
                if (root.TryGetProperty("transports", out var transports))
                {
                    // Only the docker transport names registry images; the others (oci, docker-daemon, ...) never apply here.
                    foreach (var transport in Expect(transports, JsonValueKind.Object, full, "transports").EnumerateObject())
                    {
                        if (transport.Name != "docker") continue;
                        foreach (var scope in Expect(transport.Value, JsonValueKind.Object, full, "transports.docker").EnumerateObject())
                            scopes[scope.Name] = Requirements(scope.Value, full, $"transports.docker[\"{scope.Name}\"]", baseDirectory, keys);
                    }
                }
                return new SignaturePolicy($"the policy {full}", parsedDefault, scopes) { JudgesSiteNames = true };
            }
        }
        catch
        {
            foreach (var key in keys) key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks <paramref name="image"/> in <paramref name="source"/> as it would be used under the name
    /// <paramref name="reference"/> (the site's name after relocation; the policy's scopes and identities apply to it).
    /// </summary>
    public async Task CheckAsync(IImageSource source, Descriptor image, ImageReference reference, CancellationToken cancellationToken)
    {
        foreach (var requirement in For(reference))
        {
            switch (requirement.Kind)
            {
                case RequirementKind.Accept:
                    continue;
                case RequirementKind.Reject:
                    throw new OciException(ErrorCodes.PolicyRejected, $"{Description} rejects {reference} (a \"reject\" requirement applies to it).");
            }
            var signed = new List<string>();
            OciException? lastFailure = null;
            var satisfied = false;
            foreach (var key in requirement.Keys)
            {
                try
                {
                    var verified = await SignatureVerifier.VerifyAsync(source, image, key, cancellationToken).ConfigureAwait(false);
                    if (verified.Any(v => requirement.Identity.Matches(reference, v.DockerReference)))
                    {
                        satisfied = true;
                        break;
                    }
                    signed.AddRange(verified.Select(v => v.DockerReference));
                }
                catch (OciException ex) when (ex.Code is ErrorCodes.SignatureInvalid or ErrorCodes.SignatureMissing)
                {
                    lastFailure = ex;
                }
            }
            if (satisfied) continue;
            if (signed.Count > 0)
                throw new OciException(ErrorCodes.PolicyRejected,
                    $"{reference}: its signatures verify but are made for {string.Join(", ", signed.Distinct())}, which {requirement.Identity} does not accept for {reference} under {Description}.");
            throw lastFailure!;
        }
    }

    /// <summary>True when <paramref name="base64Signature"/> is a signature of <paramref name="content"/> by any key of the policy.</summary>
    public bool VerifiesBlob(byte[] content, string base64Signature) => Keys.Any(k => Signatures.VerifyBase64(k, content, base64Signature.Trim()));

    /// <summary>The requirements of the most specific docker scope naming the reference (containers/image's order), else the default.</summary>
    private IReadOnlyList<PolicyRequirement> For(ImageReference reference)
    {
        var candidates = new List<string>();
        if (reference.Tag is { } tag) candidates.Add($"{reference.Name}:{tag}");
        if (reference.Digest is { } digest) candidates.Add($"{reference.Name}@{digest}");
        for (var name = reference.Name; name.Length > 0; name = name.LastIndexOf('/') is var slash and > 0 ? name[..slash] : "") candidates.Add(name);
        var host = reference.Registry.Split(':')[0];
        for (var dot = host.IndexOf('.'); dot > 0; dot = host.IndexOf('.', dot + 1)) candidates.Add("*" + host[dot..]);
        foreach (var scope in candidates)
            if (_scopes.TryGetValue(scope, out var requirements)) return requirements;
        return _default;
    }

    private static IReadOnlyList<PolicyRequirement> Requirements(JsonElement element, string path, string where, string baseDirectory, List<ECDsa> keys)
    {
        var list = Expect(element, JsonValueKind.Array, path, where).EnumerateArray().Select((r, i) => Requirement(r, path, $"{where}[{i}]", baseDirectory, keys)).ToList();
        if (list.Count == 0) throw new OciException(ErrorCodes.PolicyUnreadable, $"{where} of {path} is empty (containers/image refuses an empty requirement list).");
        return list;
    }

    private static PolicyRequirement Requirement(JsonElement element, string path, string where, string baseDirectory, List<ECDsa> keys)
    {
        Expect(element, JsonValueKind.Object, path, where);
        var type = element.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        switch (type)
        {
            case "insecureAcceptAnything":
                CheckFields(element, path, where, "type");
                return PolicyRequirement.Accept;
            case "reject":
                CheckFields(element, path, where, "type");
                return PolicyRequirement.Reject;
            case "sigstoreSigned":
                CheckFields(element, path, where, "type", "keyPath", "keyPaths", "keyData", "keyDatas", "signedIdentity");
                var requirementKeys = new List<ECDsa>();
                foreach (var file in Strings(element, "keyPath", "keyPaths", path, where))
                {
                    var key = SigningKeys.ReadPublicKey(Path.GetFullPath(file, baseDirectory));
                    keys.Add(key);
                    requirementKeys.Add(key);
                }
                foreach (var data in Strings(element, "keyData", "keyDatas", path, where))
                {
                    string pem;
                    try
                    {
                        pem = Encoding.UTF8.GetString(Convert.FromBase64String(data));
                    }
                    catch (FormatException ex)
                    {
                        throw new OciException(ErrorCodes.PolicyUnreadable, $"{where}.keyData of {path} is not base64 of a PEM public key: {ex.Message}", ex);
                    }
                    var key = SigningKeys.ParsePublicKey(pem, $"{where}.keyData of {path}");
                    keys.Add(key);
                    requirementKeys.Add(key);
                }
                if (requirementKeys.Count == 0)
                    throw new OciException(ErrorCodes.PolicyUnsupported,
                        $"{where} of {path} is sigstoreSigned without keyPath/keyData: keyless (fulcio) and certificate signatures are not checked here; give the signer's public key.");
                var identity = element.TryGetProperty("signedIdentity", out var id) ? SignedIdentity.Parse(id, path, $"{where}.signedIdentity") : SignedIdentity.MatchRepoDigestOrExact;
                return PolicyRequirement.Sigstore(requirementKeys, identity);
            default:
                throw new OciException(ErrorCodes.PolicyUnsupported,
                    $"{where} of {path} is a \"{type}\" requirement, which is not checked here (insecureAcceptAnything, reject and sigstoreSigned are); verify it with skopeo, or use --key.");
        }
    }

    /// <summary>One field or its plural (keyPath/keyPaths): exactly one of them, strings.</summary>
    private static IReadOnlyList<string> Strings(JsonElement element, string single, string plural, string path, string where)
    {
        var values = new List<string>();
        if (element.TryGetProperty(single, out var one))
            values.Add(one.ValueKind == JsonValueKind.String ? one.GetString()! : throw new OciException(ErrorCodes.PolicyUnreadable, $"{where}.{single} of {path} must be a string."));
        if (element.TryGetProperty(plural, out var many))
            values.AddRange(Expect(many, JsonValueKind.Array, path, $"{where}.{plural}").EnumerateArray()
                .Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new OciException(ErrorCodes.PolicyUnreadable, $"{where}.{plural} of {path} must hold strings.")));
        return values;
    }

    internal static JsonElement Expect(JsonElement element, JsonValueKind kind, string path, string where) =>
        element.ValueKind == kind ? element : throw new OciException(ErrorCodes.PolicyUnreadable, $"{where} of {path} must be a JSON {kind.ToString().ToLowerInvariant()}.");

    /// <summary>A field this tool does not know may change what the policy means: refused, not ignored.</summary>
    internal static void CheckFields(JsonElement element, string path, string where, params string[] known)
    {
        foreach (var property in element.EnumerateObject())
            if (!known.Contains(property.Name))
                throw new OciException(ErrorCodes.PolicyUnsupported, $"{where} of {path} has \"{property.Name}\", which is not checked here (known: {string.Join(", ", known)}). Remove it or verify with skopeo.");
    }

    public void Dispose()
    {
        foreach (var key in Keys.Distinct()) key.Dispose();
    }
}

internal enum RequirementKind
{
    Accept,
    Reject,
    Sigstore,
}

internal sealed record PolicyRequirement(RequirementKind Kind, IReadOnlyList<ECDsa> Keys, SignedIdentity Identity)
{
    public static readonly PolicyRequirement Accept = new(RequirementKind.Accept, [], SignedIdentity.MatchRepoDigestOrExact);
    public static readonly PolicyRequirement Reject = new(RequirementKind.Reject, [], SignedIdentity.MatchRepoDigestOrExact);

    public static PolicyRequirement Sigstore(IReadOnlyList<ECDsa> keys, SignedIdentity identity) => new(RequirementKind.Sigstore, keys, identity);
}
