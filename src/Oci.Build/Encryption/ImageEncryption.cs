using Oci.Build.Encryption.KeyWrap;

namespace Oci.Build.Encryption;

/// <summary>
/// A publish's encryption (ContainerEncrypt): the recipients, the layers by name as <see cref="LayerSelection"/> reads them
/// (empty: every layer the build adds), and where key files and key providers are found.
/// </summary>
public sealed record ImageEncryption(IReadOnlyList<EncryptionRecipient> Recipients, IReadOnlyList<string> Layers, KeyWrapContext Context);
