using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Registry;

namespace Oci.Build.Tasks;

/// <summary>Turns the publish folder into an OCI image layout. Glue only: read items, call <see cref="ImagePublisher"/>, report.</summary>
public sealed class BuildOciImage : OciTask
{
    [Required] public string PublishDirectory { get; set; } = "";
    [Required] public string ProjectDirectory { get; set; } = "";
    [Required] public string Repository { get; set; } = "";
    [Required] public string LayoutPath { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    [Required] public string RuntimeIdentifier { get; set; } = "";

    public ITaskItem[] PublishFiles { get; set; } = [];
    /// <summary>The static web assets the publish copied (TargetPath metadata relative to the publish folder): resources.</summary>
    public ITaskItem[] StaticWebAssets { get; set; } = [];
    public string[] RuntimePackIds { get; set; } = [];
    public ITaskItem[] CustomLayers { get; set; } = [];
    public string? BaseImage { get; set; }
    public bool SelfContained { get; set; }
    public string? Registry { get; set; }
    public string[] Tags { get; set; } = [];
    public string? WorkingDirectory { get; set; }
    public string? User { get; set; }
    public ITaskItem[] Ports { get; set; } = [];
    public ITaskItem[] EnvironmentVariables { get; set; } = [];
    public ITaskItem[] Labels { get; set; } = [];
    public string[] AppCommand { get; set; } = [];
    public string[] AppCommandArgs { get; set; } = [];
    public string[] DefaultArgs { get; set; } = [];
    /// <summary>Entrypoint, DefaultArgs or None (the .NET SDK's ContainerAppCommandInstruction); empty: the SDK's default.</summary>
    public string? AppCommandInstruction { get; set; }
    /// <summary>The deprecated ContainerEntrypoint / ContainerEntrypointArgs items, honoured as the SDK does.</summary>
    public string[] Entrypoint { get; set; } = [];
    public string[] EntrypointArgs { get; set; } = [];
    /// <summary>OCI (default) or Docker media types.</summary>
    public string? ImageFormat { get; set; }
    /// <summary>Label the config with the base manifest's digest (ContainerGenerateLabelsImageBaseDigest).</summary>
    public bool LabelBaseDigest { get; set; }
    /// <summary>Label the config with the image's timestamp (only set when SOURCE_DATE_EPOCH or ContainerCreated is).</summary>
    public bool LabelCreated { get; set; }
    /// <summary>ContainerWritableDirectory items (optional Owner metadata, uid[:gid]).</summary>
    public ITaskItem[] WritableDirectories { get; set; } = [];
    public string? SourceDateEpoch { get; set; }
    public string? Created { get; set; }
    public string? Layering { get; set; }
    public string? Compression { get; set; }
    public string? RegistriesConfig { get; set; }
    public string? HostsDirectory { get; set; }
    public string? NameDelegation { get; set; }
    /// <summary>ContainerPreviousImage: the image whose layers may be fetched instead of compressed (empty: the pushed tag; none: off).</summary>
    public string? PreviousImage { get; set; }

    /// <summary>ContainerEncrypt: the image's layers go into the layout encrypted for <see cref="EncryptionRecipients"/>.</summary>
    public bool Encrypt { get; set; }
    /// <summary>ContainerEncryptionRecipient items and ContainerEncryptionRecipients (jwe:KEY, pgp:KEY, pkcs7:CERT, provider:NAME).</summary>
    public string[] EncryptionRecipients { get; set; } = [];
    /// <summary>ContainerEncryptLayers: layer names (default: every layer this build adds; <c>base</c> for the base image's).</summary>
    public string[] EncryptLayers { get; set; } = [];
    /// <summary>OCICRYPT_KEYPROVIDER_CONFIG, for provider: recipients.</summary>
    public string? KeyProviderConfig { get; set; }

    /// <summary>Where the build result goes (obj/): what the SBOM, summary and push steps read instead of the layout.</summary>
    public string? ResultPath { get; set; }

    [Output] public ITaskItem? GeneratedContainer { get; private set; }
    [Output] public string? ManifestDigest { get; private set; }

    protected override void Run()
    {
        var (entrypoint, cmd) = Images.AppCommand.Resolve(new Images.AppCommand.Inputs
        {
            Instruction = AppCommandInstruction,
            Command = AppCommand,
            CommandArgs = AppCommandArgs,
            DefaultArgs = DefaultArgs,
            LegacyEntrypoint = Entrypoint,
            LegacyEntrypointArgs = EntrypointArgs,
        });
        var settings = new ImageSettings
        {
            Repository = ImageSettingValues.Repository(Repository),
            Registry = NullIfEmpty(Registry),
            Tags = ImageSettingValues.Tags(Tags),
            Platform = Platform.FromRuntimeIdentifier(RuntimeIdentifier),
            Created = TimestampSetting.Resolve(SourceDateEpoch, Created),
            WorkingDirectory = NullIfEmpty(WorkingDirectory) ?? "/app",
            Entrypoint = entrypoint,
            Cmd = cmd,
            Format = ImageFormats.Parse(ImageFormat),
            LabelBaseDigest = LabelBaseDigest,
            LabelCreated = LabelCreated,
            User = NullIfEmpty(User),
            Environment = EnvironmentVariables.Select(i => new KeyValuePair<string, string>(i.ItemSpec, i.GetMetadata("Value"))).ToList(),
            Ports = Ports.Select(p => ImageSettingValues.Port(p.ItemSpec, p.GetMetadata("Type"))).ToList(),
            Labels = Labels.GroupBy(i => i.ItemSpec).ToDictionary(g => g.Key, g => g.Last().GetMetadata("Value")),
        };

        var runtimePacks = new HashSet<string>(RuntimePackIds, StringComparer.OrdinalIgnoreCase);
        var classified = new Dictionary<string, PublishedFileKind>(StringComparer.Ordinal);
        foreach (var file in PublishFiles)
        {
            var relative = (file.GetMetadata("RelativePath") is { Length: > 0 } r ? r : file.GetMetadata("DestinationSubPath")).Replace('\\', '/');
            if (relative.Length == 0) continue;
            // Content and None items carry the TargetPath they are copied to; so does the apphost, the build's key output.
            var copiedAsIs = file.GetMetadata("TargetPath").Length > 0 && !string.Equals(file.GetMetadata("IsKeyOutput"), "true", StringComparison.OrdinalIgnoreCase);
            classified[relative] = PublishedFile.Classify(file.GetMetadata("NuGetPackageId"), file.GetMetadata("ReferenceSourceTarget"),
                file.GetMetadata("MSBuildSourceProjectFile"), runtimePacks, copiedAsIs);
        }
        foreach (var asset in StaticWebAssets)
        {
            var relative = asset.GetMetadata("TargetPath").Replace('\\', '/');
            if (relative.Length > 0) classified.TryAdd(relative, PublishedFileKind.Resource);
        }

        var request = new ImagePublishRequest
        {
            PublishDirectory = PublishDirectory,
            ClassifiedFiles = classified,
            BaseImage = NullIfEmpty(BaseImage),
            BaseDirectory = ProjectDirectory,
            Settings = settings,
            Layering = ImageSettingValues.Layering(Layering),
            CustomLayers = CustomLayers.GroupBy(i => i.ItemSpec, StringComparer.Ordinal)
                .Select(g => new CustomLayer(g.Key, g.SelectMany(i => i.GetMetadata("Glob").Split(['|', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    .Select(p => new Glob(p)).ToList()))
                .ToList(),
            Compression = LayerCompression.Parse(Compression),
            WritableDirectories = WritableDirectories.Select(d => WritableDirectory.Parse(d.ItemSpec, d.GetMetadata("Owner"), User)).ToList(),
            LayoutPath = LayoutPath,
            CacheDirectory = CacheDirectory,
        };

        // Registry bases: pulled through the shared cache; the SDK's credential variables are bound to the hosts involved.
        var registrySettings = RegistryTaskSettings.Create(CacheDirectory, RegistriesConfig, HostsDirectory, NameDelegation);
        // A push follows: its first-request costs are paid while the image is built (not awaited; it ends on its own).
        if (settings.Registry is { } pushRegistry) _ = RegistryWarmUp.Start(registrySettings, pushRegistry, settings.Repository, Cancellation);
        using var registries = new RegistryBaseImages(registrySettings, this, NullIfEmpty(Registry));
        if (!SelfContained && request.BaseImage is null or "scratch")
            ((IBuildLog)this).Warning(ErrorCodes.NoRuntimeInImage,
                "The image starts from scratch, which has no .NET runtime, but the app is framework-dependent: set ContainerBaseImage to an image with the runtime " +
                "(e.g. mcr.microsoft.com/dotnet/runtime:10.0, or a local oci:/oci-archive: copy of it) or publish self-contained.");

        using var previous = ImageSettingValues.PreviousImage(PreviousImage, settings.Registry, settings.Repository, settings.Tags) is { } previousImage
            ? new PreviousImageLayers(registrySettings, this, previousImage, settings.Platform, settings.Registry)
            : null;
        var result = new ImagePublisher(this, [registries.Provider]).Publish(request with { PreviousLayers = previous, Encryption = Encryption() }, Cancellation);
        ManifestDigest = result.Manifest.Digest.ToString();
        var item = new TaskItem(result.Name);
        item.SetMetadata("ManifestDigest", ManifestDigest);
        item.SetMetadata("ConfigDigest", result.Config.Digest.ToString());
        item.SetMetadata("LayoutPath", result.LayoutPath);
        item.SetMetadata("LayerNames", string.Join(";", result.Layers.Where(l => l.Origin != "base").Select(l => l.Name)));
        item.SetMetadata("Repository", result.Name);
        item.SetMetadata("Registry", settings.Registry ?? "");
        item.SetMetadata("Tags", string.Join(";", result.Tags));
        item.SetMetadata("Platform", result.Platform.ToString());
        if (result.PlaintextManifestDigest is { } plaintext)
        {
            item.SetMetadata("Encrypted", "true");
            item.SetMetadata("PlaintextManifestDigest", plaintext);
        }
        if (NullIfEmpty(ResultPath) is { } resultPath)
        {
            BuildResultFile.Write(resultPath, result);
            item.SetMetadata("ResultPath", Path.GetFullPath(resultPath));
        }
        GeneratedContainer = item;
    }

    private ImageEncryption? Encryption()
    {
        if (!Encrypt) return null;
        var context = new KeyWrapContext
        {
            BaseDirectory = ProjectDirectory,
            KeyProviderConfigPath = NullIfEmpty(KeyProviderConfig),
        };
        return new ImageEncryption(EncryptionRecipients, EncryptLayers, context);
    }
}
