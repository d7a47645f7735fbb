using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>One way of getting a base image (a layout, an archive, a registry, ...).</summary>
public interface IBaseImageProvider
{
    /// <summary>True when <paramref name="spec"/> is of this provider's form (e.g. starts with <c>oci:</c>).</summary>
    bool Handles(string spec);

    /// <param name="cancellationToken">Stops a pull from a registry (Ctrl+C, MSBuild's cancel); local forms are quick.</param>
    BaseImage Resolve(string spec, Platform platform, CancellationToken cancellationToken = default);
}

/// <summary>
/// Turns a <c>ContainerBaseImage</c> value into a <see cref="BaseImage"/> by asking each provider in turn.
/// Forms: <c>scratch</c>, <c>oci:DIR[:TAG]</c>, <c>oci-archive:FILE[:TAG]</c>, and registry references when a registry
/// provider is registered.
/// </summary>
public sealed class BaseImageResolver(IEnumerable<IBaseImageProvider> providers)
{
    private readonly IReadOnlyList<IBaseImageProvider> _providers = providers.ToList();

    public BaseImage Resolve(string? spec, Platform platform, CancellationToken cancellationToken = default)
    {
        var text = string.IsNullOrWhiteSpace(spec) ? "scratch" : spec.Trim();
        if (text == "scratch") return BaseImage.Scratch();
        foreach (var provider in _providers)
        {
            if (provider.Handles(text)) return provider.Resolve(text, platform, cancellationToken);
        }
        throw new OciException(ErrorCodes.InvalidBaseImage,
            $"ContainerBaseImage '{text}' is not understood: use scratch, oci:DIR[:TAG], oci-archive:FILE[:TAG] or registry/repository[:tag][@digest].");
    }
}
