using Oci.Build.Encryption.KeyWrap;

namespace Oci.Build.Encryption;

/// <summary>
/// A publish's encryption (ContainerEncrypt): the recipients as the user wrote them (<c>jwe:keys/prod.pub.pem</c>, ...),
/// the layers by name as <see cref="LayerSelection"/> reads them (empty: every layer the build adds), and where key files
/// and key providers are found.
/// </summary>
public sealed record ImageEncryption(IReadOnlyList<string> Recipients, IReadOnlyList<string> Layers, KeyWrapContext Context)
{
    /// <summary>Reads and checks every recipient (blank and repeated entries left out); throws OCI3xxx naming a bad one.</summary>
    public IReadOnlyList<EncryptionRecipient> ReadRecipients() =>
        Recipients.Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).Select(r => EncryptionRecipient.Parse(r, Context)).ToList();
}
