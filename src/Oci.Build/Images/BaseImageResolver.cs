using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>One way of getting a base image (a layout, an archive, a registry, ...).</summary>
public interface IBaseImageProvider
{
    /// <summary>True when <paramref name="spec"/> is of this provider's form (e.g. starts with <c>oci:</c>).</summary>
    bool Handles(string spec);

    BaseImage Resolve(string spec, Platform platform);
}

/// <summary>
/// Turns a <c>ContainerBaseImage</c> value into a <see cref="BaseImage"/> by asking each provider in turn.
/// Forms: <c>scratch</c>, <c>oci:DIR[:TAG]</c>, <c>oci-archive:FILE[:TAG]</c>, and registry references when a registry
/// provider is registered.
/// </summary>
public sealed class BaseImageResolver(IEnumerable<IBaseImageProvider> providers)
{
    private readonly IReadOnlyList<IBaseImageProvider> _providers = providers.ToList();

    public BaseImage Resolve(string? spec, Platform platform)
    {
        var text = string.IsNullOrWhiteSpace(spec) ? "scratch" : spec.Trim();
        if (text == "scratch") return BaseImage.Scratch();
        foreach (var provider in _providers)
        {
            if (provider.Handles(text)) return provider.Resolve(text, platform);
        }
        throw new OciException(ErrorCodes.InvalidBaseImage,
            $"ContainerBaseImage '{text}' is not understood: use scratch, oci:DIR[:TAG], oci-archive:FILE[:TAG] or registry/repository[:tag][@digest].");
    }

    /// <summary>Splits <c>PATH[:TAG]</c> as skopeo does: a final <c>:name</c> without slashes is the tag.</summary>
    public static (string Path, string? Tag) SplitPathAndTag(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon > 0 && colon < value.Length - 1 && !value[(colon + 1)..].Contains('/') && !value[(colon + 1)..].Contains('\\')
            && !(colon == 1 && char.IsLetter(value[0])))
            return (value[..colon], value[(colon + 1)..]);
        return (value.TrimEnd(':'), null);
    }
}
