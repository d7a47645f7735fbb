namespace Oci.Build.Encryption.KeyWrap.KeyProvider;

public sealed class KeyProviderKeyWrapper : IKeyWrapper
{
    public string Scheme => "provider";
    public IWrapRecipient ParseRecipient(string value, string recipient, KeyWrapContext context) => throw new NotImplementedException();
    public IReadOnlyList<WrappedKeys> Wrap(IReadOnlyList<IWrapRecipient> recipients, byte[] privateOptions, KeyWrapContext context) => throw new NotImplementedException();
    public bool Reads(string annotationKey) => false;
    public byte[]? Unwrap(string annotationKey, byte[] entry, DecryptionKeySet keys, UnwrapAttempts attempts) => null;
}
