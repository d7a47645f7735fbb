using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>Everything about the image besides its layers: name, tags, platform, and the runtime config.</summary>
public sealed record ImageSettings
{
    /// <summary>Repository name, e.g. <c>contoso/orders</c> (no registry).</summary>
    public required string Repository { get; init; }
    /// <summary>Where the image is pushed (empty for layout-only builds); used for the image's display reference.</summary>
    public string? Registry { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }
    public required Platform Platform { get; init; }
    /// <summary>The one timestamp used for config, history and every tar entry.</summary>
    public required DateTimeOffset Created { get; init; }
    public string? WorkingDirectory { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public string? User { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];
    /// <summary>Ports as <c>8080/tcp</c>.</summary>
    public IReadOnlyList<string> Ports { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Media types of manifest, config and layers: OCI, or Docker's (v2 schema 2) for registries that take only those.</summary>
    public ImageFormat Format { get; init; } = ImageFormat.Oci;
    /// <summary>Also label the config with the base manifest's digest (<c>org.opencontainers.image.base.digest</c>), as the .NET SDK does.</summary>
    public bool LabelBaseDigest { get; init; }
    /// <summary>Also label the config with <see cref="Created"/> (<c>org.opencontainers.image.created</c>), never the clock.</summary>
    public bool LabelCreated { get; init; }
    /// <summary>Extra manifest annotations (base name/digest and created are added by the builder).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>The image's name for logs and summaries: <c>registry/repository</c> or just <c>repository</c>.</summary>
    public string Name => string.IsNullOrEmpty(Registry) ? Repository : $"{Registry}/{Repository}";

    public static string FormatCreated(DateTimeOffset created) =>
        created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
