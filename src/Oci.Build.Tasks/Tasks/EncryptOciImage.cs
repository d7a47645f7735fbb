using Microsoft.Build.Framework;
using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Images;
using Oci.Build.Oci;

namespace Oci.Build.Tasks;

/// <summary>
/// Encrypts the layers of the image a build just made (ContainerEncrypt=true): reads the plaintext layout, writes the
/// encrypted one to <see cref="LayoutPath"/>. Glue only: parse recipients and layer names, call <see cref="LayoutEncryptor"/>.
/// </summary>
public sealed class EncryptOciImage : OciTask
{
    /// <summary>The GeneratedContainer item of the build (metadata ResultPath: the build result, rewritten here to describe the encrypted image).</summary>
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

        // The build's result says which layers are whose; the plaintext layout is read only for the layers' bytes.
        var resultPath = Image.GetMetadata("ResultPath");
        var image = BuildResultFile.ReadImage(resultPath);
        var source = image.LayoutPath;
        // The plaintext layout stays in obj/ for ciphertext reuse on the next build: only its owner may read it.
        global::Oci.Build.IO.PrivateFiles.CreateDirectory(source);
        var selected = LayerSelection.Resolve(image.Layers, Layers);

        var result = new LayoutEncryptor(this).Encrypt(new LayoutEncryptionRequest
        {
            SourceLayout = source,
            DestinationLayout = LayoutPath,
            Recipients = recipients,
            Layers = selected,
            CacheDirectory = CacheDirectory,
            Context = context,
        });
        var manifest = result.Manifests[image.Manifest.Digest];
        // From here on the result describes the encrypted image (the summary, archive and push steps read it).
        BuildResultFile.Write(resultPath, image.Rewritten(result.LayoutPath, manifest, result.Layers.ToDictionary(l => l.PlaintextDigest, l => l.Encrypted)));
        ManifestDigest = manifest.Digest.ToString();
        EncryptedLayoutPath = result.LayoutPath;
        var log = (IBuildLog)this;
        foreach (var layer in result.Layers)
            log.Info($"  encrypted {layer.PlaintextDigest} -> {layer.Encrypted.Digest}{(layer.Reused ? " (reused)" : "")}");
        log.Info($"Encrypted image -> {ManifestDigest} for {string.Join(", ", recipients.Select(r => r.Text))}");
        log.Info($"  layout:  {result.LayoutPath}");
    }
}
