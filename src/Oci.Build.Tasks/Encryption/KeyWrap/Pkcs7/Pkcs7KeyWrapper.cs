namespace Oci.Build.Encryption.KeyWrap.Pkcs7;

public sealed class Pkcs7KeyWrapper : IKeyWrapper
{
    public string Scheme => "pkcs7";
    public IWrapRecipient ParseRecipient(string value, string recipient, KeyWrapContext context) => throw new NotImplementedException();
    public IReadOnlyList<WrappedKeys> Wrap(IReadOnlyList<IWrapRecipient> recipients, byte[] privateOptions, KeyWrapContext context) => throw new NotImplementedException();
    public bool Reads(string annotationKey) => false;
    public byte[]? Unwrap(string annotationKey, byte[] entry, DecryptionKeySet keys, UnwrapAttempts attempts) => null;
}
