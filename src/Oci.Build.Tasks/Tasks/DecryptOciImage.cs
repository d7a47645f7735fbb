using Microsoft.Build.Framework;
using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;

namespace Oci.Build.Tasks;

/// <summary>
/// Decrypts an encrypted image layout into a plain one with the given private keys (items; optional <c>Passphrase</c>
/// metadata, or <c>FILE:pass=...</c>; <c>provider:NAME</c> for key providers). Glue over <see cref="LayoutDecryptor"/>.
/// </summary>
public sealed class DecryptOciImage : OciTask
{
    [Required] public string SourceLayoutPath { get; set; } = "";
    [Required] public string LayoutPath { get; set; } = "";
    public ITaskItem[] Keys { get; set; } = [];
    public string? ProjectDirectory { get; set; }
    public string? KeyProviderConfig { get; set; }

    [Output] public string[] ManifestDigests { get; private set; } = [];

    protected override void Run()
    {
        var context = new KeyWrapContext
        {
            BaseDirectory = NullIfEmpty(ProjectDirectory) ?? Environment.CurrentDirectory,
            KeyProviderConfigPath = NullIfEmpty(KeyProviderConfig),
        };
        var passphrases = Keys.Where(k => k.GetMetadata("Passphrase").Length > 0).ToDictionary(k => k.ItemSpec, k => k.GetMetadata("Passphrase"));
        var keys = DecryptionKeySet.Load(Keys.Select(k => k.ItemSpec), context, passphrases);
        var result = new LayoutDecryptor(this).Decrypt(new LayoutDecryptionRequest
        {
            SourceLayout = Path.GetFullPath(SourceLayoutPath, context.BaseDirectory),
            DestinationLayout = Path.GetFullPath(LayoutPath, context.BaseDirectory),
            Keys = keys,
        });
        ManifestDigests = result.Manifests.Values.Select(m => m.Digest.ToString()).ToArray();
        ((Oci.IBuildLog)this).Info($"Decrypted {result.DecryptedLayers} layer(s) -> {result.LayoutPath} ({string.Join(", ", ManifestDigests)})");
    }
}
