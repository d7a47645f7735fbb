using Microsoft.Build.Framework;
using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Tasks;

/// <summary>
/// Encrypts the layers of the image a build just made (ContainerEncrypt=true): reads the plaintext layout, writes the
/// encrypted one to <see cref="LayoutPath"/>. Glue only: parse recipients and layer names, call <see cref="LayoutEncryptor"/>.
/// </summary>
public sealed class EncryptOciImage : OciTask
{
    /// <summary>The GeneratedContainer item of the build (LayoutPath, ManifestDigest, LayerNames).</summary>
    [Required] public ITaskItem Image { get; set; } = null!;
    [Required] public string LayoutPath { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    public string[] Recipients { get; set; } = [];
    public string[] Layers { get; set; } = [];
    public string? ProjectDirectory { get; set; }
    public string? KeyProviderConfig { get; set; }

    [Output] public string? ManifestDigest { get; private set; }
    [Output] public string? EncryptedLayoutPath { get; private set; }

    protected override void Run()
    {
        var context = new KeyWrapContext
        {
            BaseDirectory = NullIfEmpty(ProjectDirectory) ?? Environment.CurrentDirectory,
            KeyProviderConfigPath = NullIfEmpty(KeyProviderConfig),
        };
        var recipients = Recipients.Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal)
            .Select(r => EncryptionRecipient.Parse(r, context)).ToList();

        var source = Image.GetMetadata("LayoutPath");
        // The plaintext layout stays in obj/ for ciphertext reuse on the next build: only its owner may read it.
        global::Oci.Build.IO.PrivateFiles.CreateDirectory(source);
        var plainDigest = Digest.Parse(Image.GetMetadata("ManifestDigest"));
        var layout = OciLayout.Open(source);
        var entry = layout.Index.Manifests.First(m => m.Digest == plainDigest);
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "image manifest"), "image manifest");
        var names = Image.GetMetadata("LayerNames").Split(';', StringSplitOptions.RemoveEmptyEntries);
        var selected = LayerSelection.Resolve(manifest, names, Layers);

        var result = new LayoutEncryptor(this).Encrypt(new LayoutEncryptionRequest
        {
            SourceLayout = source,
            DestinationLayout = LayoutPath,
            Recipients = recipients,
            Layers = selected,
            CacheDirectory = CacheDirectory,
            Context = context,
        });
        ManifestDigest = result.Manifests[plainDigest].Digest.ToString();
        EncryptedLayoutPath = result.LayoutPath;
        var log = (IBuildLog)this;
        foreach (var layer in result.Layers)
            log.Info($"  encrypted {layer.PlaintextDigest} -> {layer.Encrypted.Digest}{(layer.Reused ? " (reused)" : "")}");
        log.Info($"Encrypted image -> {ManifestDigest} for {string.Join(", ", recipients.Select(r => r.Text))}");
        log.Info($"  layout:  {result.LayoutPath}");
    }
}
