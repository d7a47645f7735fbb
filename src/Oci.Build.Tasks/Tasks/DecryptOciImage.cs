using Microsoft.Build.Framework;
using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;

namespace Oci.Build.Tasks;

/// <summary>
/// Decrypts an encrypted image layout into a plain one with the given private keys (items: <c>FILE</c>,
/// <c>FILE:pass-file=PATH</c>, <c>FILE:pass-env=VARIABLE</c>; <c>provider:NAME</c> for key providers). A passphrase
/// itself is never accepted here (inline or as metadata): MSBuild writes property and item values into its logs.
/// Glue over <see cref="LayoutDecryptor"/>.
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
        if (Keys.FirstOrDefault(k => k.GetMetadata("Passphrase").Length > 0) is { } withPassphrase)
            throw new Oci.OciException(Oci.ErrorCodes.InlinePassphrase,
                $"The decryption key '{withPassphrase.ItemSpec}' has Passphrase metadata, which MSBuild writes into detailed build logs. " +
                "Use PassphraseFile or PassphraseEnvironmentVariable metadata, or FILE:pass-file=PATH / FILE:pass-env=VARIABLE.");
        // PassphraseFile / PassphraseEnvironmentVariable metadata become the equivalent key suffixes.
        var specs = Keys.Select(k => k.GetMetadata("PassphraseFile") is { Length: > 0 } file ? $"{k.ItemSpec}:pass-file={file}"
            : k.GetMetadata("PassphraseEnvironmentVariable") is { Length: > 0 } variable ? $"{k.ItemSpec}:pass-env={variable}"
            : k.ItemSpec);
        var keys = DecryptionKeySet.Load(specs, context);
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
