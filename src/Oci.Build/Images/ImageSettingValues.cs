using Oci.Build.Graph;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>
/// The user-facing setting values (as MSBuild properties or CLI options give them) checked and turned into engine values,
/// with the coded error that says what to write instead. Shared by every front end.
/// </summary>
public static class ImageSettingValues
{
    public static string Repository(string value)
    {
        var repository = value.Trim();
        if (!ImageReference.IsValidRepository(repository))
            throw new OciException(ErrorCodes.InvalidSetting,
                $"ContainerRepository '{value}' is not a valid repository name: use lowercase letters, digits and separators (. _ - /), e.g. contoso/orders.");
        return repository;
    }

    /// <summary>Distinct, trimmed, valid tags; <c>latest</c> when none is given.</summary>
    public static IReadOnlyList<string> Tags(IEnumerable<string> values)
    {
        var tags = values.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (tags.Count == 0) tags.Add("latest");
        var bad = tags.FirstOrDefault(t => !ImageReference.IsValidTag(t));
        if (bad is not null)
            throw new OciException(ErrorCodes.InvalidSetting, $"Container image tag '{bad}' is not valid: use up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'.");
        return tags;
    }

    /// <summary><c>8080</c> + <c>tcp</c> -> <c>8080/tcp</c>.</summary>
    public static string Port(string number, string? type)
    {
        var protocol = string.IsNullOrWhiteSpace(type) ? "tcp" : type.Trim().ToLowerInvariant();
        if (!int.TryParse(number, out var port) || port is < 1 or > 65535 || protocol is not ("tcp" or "udp"))
            throw new OciException(ErrorCodes.InvalidSetting, $"ContainerPort '{number}' (Type '{protocol}') is not valid: use a number from 1 to 65535 and Type tcp or udp.");
        return $"{port}/{protocol}";
    }

    /// <summary>
    /// ContainerPreviousImage: the image whose layers a build may reuse. Empty: when pushing, the pushed repository at the
    /// first tag (what a push there replaces); <c>none</c>: no reuse. Null when there is nothing to read.
    /// </summary>
    public static string? PreviousImage(string? value, string? registry, string repository, IReadOnlyList<string> tags)
    {
        var setting = value?.Trim() ?? "";
        if (setting.Equals("none", StringComparison.OrdinalIgnoreCase) || setting.Equals("false", StringComparison.OrdinalIgnoreCase)) return null;
        if (setting.Length == 0)
            return string.IsNullOrWhiteSpace(registry) ? null : $"{registry.Trim().TrimEnd('/')}/{repository}:{tags[0]}";
        if (!ImageReference.TryParse(setting, out _, out var error) || ImageLocation.IsLocal(setting))
            throw new OciException(ErrorCodes.InvalidSetting,
                $"ContainerPreviousImage '{value}' is not an image in a registry ({error ?? "a local path"}): use HOST/REPOSITORY:TAG (or @sha256:...), or none.");
        return setting;
    }

    public static LayeringMode Layering(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "layered" => LayeringMode.Layered,
        "single" => LayeringMode.Single,
        _ => throw new OciException(ErrorCodes.InvalidSetting, $"ContainerLayering '{value}' is not supported: use Layered or Single."),
    };
}
