using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>
/// containers-policy.json's <c>signedIdentity</c>: which names a signature (its simple-signing docker-reference) may carry
/// for an image used under a given name. <c>remapIdentity</c> is what makes signatures survive relocation: the site's
/// prefix is swapped for the original one before the name is compared.
/// </summary>
public sealed record SignedIdentity(string Type, string? Reference = null, string? Prefix = null, string? SignedPrefix = null)
{
    public static readonly SignedIdentity MatchRepoDigestOrExact = new("matchRepoDigestOrExact");

    public override string ToString() => Type switch
    {
        "exactReference" => $"exactReference {Reference}",
        "exactRepository" => $"exactRepository {Reference}",
        "remapIdentity" => $"remapIdentity {Prefix} -> {SignedPrefix}",
        _ => Type,
    };

    /// <summary>True when a signature made for <paramref name="signed"/> vouches for the image used as <paramref name="image"/>.</summary>
    public bool Matches(ImageReference image, string signed)
    {
        if (!ImageReference.TryParse(signed, out var signature, out _) || signature is null) return false;
        switch (Type)
        {
            case "matchExact":
                return image.Tag is not null && image.Digest is null && SameTagged(image, signature);
            case "matchRepository":
                return image.Name == signature.Name;
            case "exactReference":
                return ImageReference.TryParse(Reference!, out var exact, out _) && exact is not null && exact.Name == signature.Name
                    && exact.Tag == signature.Tag && exact.Digest == signature.Digest;
            case "exactRepository":
                return signature.Name == Reference;
            case "remapIdentity":
                var name = image.Name;
                if (name != Prefix && !name.StartsWith(Prefix + "/", StringComparison.Ordinal)) return RepoDigestOrExact(image, signature);
                return ImageReference.TryParse(SignedPrefix + name[Prefix!.Length..] + (image.Tag is { } tag ? ":" + tag : "") + (image.Digest is { } d ? "@" + d : ""),
                    out var remapped, out _) && remapped is not null && RepoDigestOrExact(remapped, signature);
            default:
                return RepoDigestOrExact(image, signature);
        }
    }

    /// <summary>By digest: any signature of the same repository; by tag: exactly that tag (a tag and a digest count as by tag).</summary>
    private static bool RepoDigestOrExact(ImageReference image, ImageReference signature) =>
        image.Tag is null ? image.Name == signature.Name : SameTagged(image, signature);

    private static bool SameTagged(ImageReference image, ImageReference signature) =>
        signature.Digest is null && image.Name == signature.Name && image.Tag == signature.Tag;

    public static SignedIdentity Parse(JsonElement element, string path, string where)
    {
        SignaturePolicy.Expect(element, JsonValueKind.Object, path, where);
        var type = element.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        string Field(string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
                ? text
                : throw new OciException(ErrorCodes.PolicyUnreadable, $"{where} of {path} is {type} and needs the string field \"{name}\".");
        switch (type)
        {
            case "matchExact" or "matchRepoDigestOrExact" or "matchRepository":
                SignaturePolicy.CheckFields(element, path, where, "type");
                return new SignedIdentity(type);
            case "exactReference":
                SignaturePolicy.CheckFields(element, path, where, "type", "dockerReference");
                return new SignedIdentity(type, Reference: Field("dockerReference"));
            case "exactRepository":
                SignaturePolicy.CheckFields(element, path, where, "type", "dockerRepository");
                return new SignedIdentity(type, Reference: Field("dockerRepository"));
            case "remapIdentity":
                SignaturePolicy.CheckFields(element, path, where, "type", "prefix", "signedPrefix");
                return new SignedIdentity(type, Prefix: Field("prefix"), SignedPrefix: Field("signedPrefix"));
            default:
                throw new OciException(ErrorCodes.PolicyUnsupported, $"{where} of {path} is \"{type}\", not a signedIdentity this tool checks " +
                    "(matchExact, matchRepoDigestOrExact, matchRepository, exactReference, exactRepository, remapIdentity).");
        }
    }
}
