using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Oci.Build.Bundles;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Registry;

namespace Oci.Build.Tasks;

/// <summary>Builds the bundle's invocation image (base + /cnab/app/run). Glue only: see <see cref="InvocationImageBuilder"/>.</summary>
public sealed class BuildCnabInvocationImage : OciTask
{
    [Required] public string Repository { get; set; } = "";
    [Required] public string LayoutPath { get; set; } = "";
    [Required] public string StagingDirectory { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    /// <summary>The release's app images (metadata BaseImage, ProjectDirectory, RuntimeIdentifier, User): the first one's base is used.</summary>
    public ITaskItem[] Apps { get; set; } = [];
    /// <summary>An explicit base (ContainerBundleInvocationBaseImage); relative paths resolve from <see cref="BaseDirectory"/>.</summary>
    public string? BaseImage { get; set; }
    [Required] public string BaseDirectory { get; set; } = "";
    /// <summary>Used when no app image gives a platform.</summary>
    public string? RuntimeIdentifier { get; set; }
    public string[] Tags { get; set; } = [];
    public string? RunScript { get; set; }
    public string? Registry { get; set; }
    public string? SourceDateEpoch { get; set; }
    public string? Created { get; set; }
    public string? Compression { get; set; }
    public string? BundleName { get; set; }
    public string? BundleVersion { get; set; }
    public string? RegistriesConfig { get; set; }
    public string? HostsDirectory { get; set; }
    public string? NameDelegation { get; set; }

    [Output] public ITaskItem? InvocationImage { get; private set; }

    protected override void Run()
    {
        // "Built on the app's base": the first app's base image, platform and user (relative base paths are the app's).
        var app = Apps.FirstOrDefault();
        var baseImage = NullIfEmpty(BaseImage) ?? NullIfEmpty(app?.GetMetadata("BaseImage"));
        var baseDirectory = NullIfEmpty(BaseImage) is null && app is not null && NullIfEmpty(app.GetMetadata("ProjectDirectory")) is { } appDirectory ? appDirectory : BaseDirectory;
        var runtimeIdentifier = NullIfEmpty(app?.GetMetadata("RuntimeIdentifier")) ?? NullIfEmpty(RuntimeIdentifier)
            ?? throw new OciException(ErrorCodes.InvalidBundleSetting, "The invocation image needs a platform: set ContainerRuntimeIdentifier.");
        var labels = new Dictionary<string, string>();
        if (NullIfEmpty(BundleName) is { } name) labels["org.opencontainers.image.title"] = $"{name} (CNAB invocation image)";
        if (NullIfEmpty(BundleVersion) is { } version) labels["org.opencontainers.image.version"] = version;
        var settings = new ImageSettings
        {
            Repository = ImageSettingValues.Repository(Repository),
            Registry = NullIfEmpty(Registry),
            Tags = ImageSettingValues.Tags(Tags),
            Platform = Platform.FromRuntimeIdentifier(runtimeIdentifier),
            Created = TimestampSetting.Resolve(SourceDateEpoch, Created),
            User = NullIfEmpty(app?.GetMetadata("User")),
            Labels = labels,
        };
        var registrySettings = RegistryTaskSettings.Create(CacheDirectory, RegistriesConfig, HostsDirectory, NameDelegation);
        using var registries = new RegistryBaseImages(registrySettings, this, NullIfEmpty(Registry));
        var result = new InvocationImageBuilder(this, [registries.Provider]).Build(new InvocationImageRequest
        {
            RunScript = NullIfEmpty(RunScript),
            BaseImage = baseImage,
            BaseDirectory = baseDirectory,
            Settings = settings,
            Compression = LayerCompression.Parse(Compression),
            LayoutPath = LayoutPath,
            CacheDirectory = CacheDirectory,
            StagingDirectory = StagingDirectory,
        });
        var item = new TaskItem(result.Name);
        item.SetMetadata("ManifestDigest", result.Manifest.Digest.ToString());
        item.SetMetadata("LayoutPath", result.LayoutPath);
        item.SetMetadata("Repository", result.Name);
        item.SetMetadata("Tags", string.Join(";", result.Tags));
        item.SetMetadata("Platform", result.Platform.ToString());
        InvocationImage = item;
    }
}
