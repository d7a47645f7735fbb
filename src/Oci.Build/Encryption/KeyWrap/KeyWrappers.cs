using Oci.Build.Oci;

namespace Oci.Build.Encryption.KeyWrap;

/// <summary>The schemes this product knows. Adding one is a new folder plus one line here.</summary>
public static class KeyWrappers
{
    public static IReadOnlyList<IKeyWrapper> All { get; } =
    [
        new Jwe.JweKeyWrapper(),
        new Pgp.PgpKeyWrapper(),
        new Pkcs7.Pkcs7KeyWrapper(),
        new KeyProvider.KeyProviderKeyWrapper(),
    ];

    public static IKeyWrapper? ForScheme(string scheme) => All.FirstOrDefault(w => string.Equals(w.Scheme, scheme, StringComparison.Ordinal));

    public static IKeyWrapper? ForAnnotation(string annotationKey) => All.FirstOrDefault(w => w.Reads(annotationKey));
}

/// <summary>A recipient string (<c>scheme:value</c>) parsed by its scheme.</summary>
public sealed record EncryptionRecipient(IKeyWrapper Wrapper, IWrapRecipient Recipient)
{
    public string Text => Recipient.Text;

    /// <summary>Parses <c>jwe:KEY</c>, <c>pgp:KEYFILE</c>, <c>pkcs7:CERT</c> or <c>provider:NAME[:PARAMS]</c>; errors name the recipient.</summary>
    public static EncryptionRecipient Parse(string text, KeyWrapContext context)
    {
        var trimmed = text.Trim();
        var colon = trimmed.IndexOf(':');
        if (colon <= 0 || colon == trimmed.Length - 1)
            throw new OciException(ErrorCodes.MalformedRecipient,
                $"Encryption recipient '{text}' is malformed: write SCHEME:VALUE with SCHEME one of {string.Join(", ", KeyWrappers.All.Select(w => w.Scheme))} (e.g. jwe:keys/prod.pub.pem).");
        var scheme = trimmed[..colon];
        var wrapper = KeyWrappers.ForScheme(scheme)
            ?? throw new OciException(ErrorCodes.MalformedRecipient,
                $"Encryption recipient '{text}' uses the unknown scheme '{scheme}': use one of {string.Join(", ", KeyWrappers.All.Select(w => w.Scheme))}.");
        return new EncryptionRecipient(wrapper, wrapper.ParseRecipient(trimmed[(colon + 1)..], trimmed, context));
    }
}
