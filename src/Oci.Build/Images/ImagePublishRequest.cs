using Oci.Build.Encryption;
using Oci.Build.Layers;

namespace Oci.Build.Images;

/// <summary>Everything needed to turn a publish folder into an image layout.</summary>
public sealed record ImagePublishRequest
{
    public required string PublishDirectory { get; init; }
    public required IReadOnlyDictionary<string, PublishedFileKind> ClassifiedFiles { get; init; }
    public string? BaseImage { get; init; }
    /// <summary>Relative <c>oci:</c>/<c>oci-archive:</c> paths are resolved against this (the project directory).</summary>
    public required string BaseDirectory { get; init; }
    public required ImageSettings Settings { get; init; }
    public LayeringMode Layering { get; init; } = LayeringMode.Layered;
    public IReadOnlyList<CustomLayer> CustomLayers { get; init; } = [];
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;
    /// <summary>Folders the app must write, owned by the app's user (everything else is root's and read-only to it).</summary>
    public IReadOnlyList<WritableDirectory> WritableDirectories { get; init; } = [];
    public required string LayoutPath { get; init; }
    public required string CacheDirectory { get; init; }
    /// <summary>The image this build replaces (ContainerPreviousImage): layers it holds are fetched instead of compressed.</summary>
    public IPreviousLayers? PreviousLayers { get; init; }
    /// <summary>ContainerEncrypt: which layers go into the image encrypted, and for whom (null: none).</summary>
    public ImageEncryption? Encryption { get; init; }
}
