using System.Text.Json;

namespace Oci.Build.Oci;

public static class MediaTypes
{
    public const string OciLayoutVersion = "1.0.0";

    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciEmptyJson = "application/vnd.oci.empty.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    public static bool IsManifest(string mediaType) => mediaType is OciManifest or DockerManifest;

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;

    /// <summary>
    /// The OCI media type for a base layer. Docker's types name the same bytes, so a base image from a Docker
    /// registry can be carried into an OCI manifest without touching the blob (the digest stays the same).
    /// </summary>
    public static string ToOciLayer(string mediaType) => mediaType switch
    {
        DockerLayerGzip => OciLayerGzip,
        DockerForeignLayerGzip => "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        _ => mediaType,
    };

    /// <summary>The media type a document declares in its own <c>mediaType</c> field, or guesses from its shape.</summary>
    public static string DetectManifest(ReadOnlySpan<byte> content)
    {
        try
        {
            var reader = new Utf8JsonReader(content);
            using var json = JsonDocument.ParseValue(ref reader);
            var root = json.RootElement;
            if (root.TryGetProperty("mediaType", out var type) && type.GetString() is { Length: > 0 } declared) return declared;
            return root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        }
        catch (JsonException)
        {
            throw new OciException(ErrorCodes.InvalidDocument, "A manifest is not valid JSON.");
        }
    }
}
