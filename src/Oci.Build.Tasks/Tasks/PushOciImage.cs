using Microsoft.Build.Framework;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;
using Oci.Build.Signing;

namespace Oci.Build.Tasks;

/// <summary>Pushes an image layout to <c>Registry/Repository</c> with its tags. Glue only: see <see cref="LayoutPusher"/>.</summary>
public sealed class PushOciImage : OciTask
{
    [Required] public string LayoutPath { get; set; } = "";
    [Required] public string Registry { get; set; } = "";
    [Required] public string Repository { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    /// <summary>Tags to push; empty pushes the layout's own tags.</summary>
    public string[] Tags { get; set; } = [];
    public string? RegistriesConfig { get; set; }
    public string? HostsDirectory { get; set; }
    public string? NameDelegation { get; set; }
    public int MaxParallelUploads { get; set; } = 3;
    /// <summary>ContainerSigningKey: a PEM EC P-256 private key file (relative to <see cref="ProjectDirectory"/>) or provider:NAME.</summary>
    public string? SigningKey { get; set; }
    /// <summary>ContainerSigningRecursive: also sign each platform's manifest of an index.</summary>
    public bool SigningRecursive { get; set; }
    public string? ProjectDirectory { get; set; }

    [Output] public string? ManifestDigest { get; private set; }
    [Output] public string[] PushedReferences { get; private set; } = [];
    [Output] public long BytesUploaded { get; private set; }

    protected override void Run()
    {
        var settings = RegistryTaskSettings.Create(CacheDirectory, RegistriesConfig, HostsDirectory, NameDelegation);
        using var signer = SigningTaskSettings.Open(SigningKey, ProjectDirectory);
        var result = new LayoutPusher(settings, this).Push(new LayoutPushRequest
        {
            LayoutPath = LayoutPath,
            Registry = Registry,
            Repository = Repository.Trim(),
            Tags = Tags.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList(),
            Options = new PushOptions { MaxParallelUploads = Math.Clamp(MaxParallelUploads, 1, 16) },
            Signing = signer is null ? null : new SigningOptions(signer, SigningRecursive),
        }, Cancellation);
        ManifestDigest = result.ManifestDigest.ToString();
        PushedReferences = result.References.ToArray();
        BytesUploaded = result.Push.BytesUploaded;
    }
}

/// <summary>Reads the registry-related task parameters the same way for every task.</summary>
internal static class RegistryTaskSettings
{
    public static RegistrySettings Create(string cacheDirectory, string? registriesConfig, string? hostsDirectory, string? nameDelegation) => new()
    {
        CacheDirectory = cacheDirectory,
        RegistriesConfig = string.IsNullOrWhiteSpace(registriesConfig) ? null : registriesConfig.Trim(),
        HostsDirectory = string.IsNullOrWhiteSpace(hostsDirectory) ? null : hostsDirectory.Trim(),
        NameDelegation = nameDelegation?.Trim().ToLowerInvariant() switch
        {
            null or "" or "true" => true,
            "false" => false,
            _ => throw new Oci.OciException(Oci.ErrorCodes.InvalidSetting, $"ContainerNameDelegation '{nameDelegation}' must be true or false."),
        },
    };
}

/// <summary>Opens ContainerSigningKey the same way for every task that pushes.</summary>
internal static class SigningTaskSettings
{
    public static IImageSigner? Open(string? key, string? projectDirectory) =>
        string.IsNullOrWhiteSpace(key) ? null : SigningKeys.Open(key, string.IsNullOrWhiteSpace(projectDirectory) ? Environment.CurrentDirectory : projectDirectory);
}
