using Microsoft.Build.Framework;
using Oci.Build.Bundles;
using Oci.Build.Oci;
using Oci.Build.Signing;

namespace Oci.Build.Tasks;

/// <summary>Pushes bundle.json as cnab-to-oci does (ContainerRegistry set). Glue only: see <see cref="BundlePusher"/>.</summary>
public sealed class PushCnabBundle : OciTask
{
    [Required] public string BundlePath { get; set; } = "";
    [Required] public string Registry { get; set; } = "";
    [Required] public string Repository { get; set; } = "";
    [Required] public string Tag { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    public string? RegistriesConfig { get; set; }
    public string? HostsDirectory { get; set; }
    public string? NameDelegation { get; set; }
    public int Parallelism { get; set; } = 3;
    /// <summary>ContainerSigningKey: signs the bundle's index (see <see cref="PushOciImage.SigningKey"/>).</summary>
    public string? SigningKey { get; set; }
    public string? ProjectDirectory { get; set; }

    [Output] public string? PushedReference { get; private set; }
    [Output] public string? IndexDigest { get; private set; }

    protected override void Run()
    {
        var settings = RegistryTaskSettings.Create(CacheDirectory, RegistriesConfig, HostsDirectory, NameDelegation);
        var text = $"{Registry.Trim().TrimEnd('/')}/{Repository.Trim()}:{Tag.Trim()}";
        if (!ImageReference.TryParse(text, out var target, out var error))
            throw new OciException(ErrorCodes.InvalidBundleSetting, $"The bundle's push target '{text}' is not valid ({error}); check ContainerRegistry and ContainerBundleRepository.");
        using var signer = SigningTaskSettings.Open(SigningKey, ProjectDirectory);
        var bytes = File.ReadAllBytes(BundlePath);
        var result = new BundlePusher(settings, this).Push(new BundlePushRequest
        {
            Bundle = BundleJson.Deserialize(bytes, BundlePath),
            CanonicalBundle = bytes,
            Target = target!,
            Parallelism = Math.Clamp(Parallelism, 1, 16),
            Signing = signer is null ? null : new SigningOptions(signer),
        }, Cancellation);
        PushedReference = result.Reference;
        IndexDigest = result.Index.Digest.ToString();
    }
}
