using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>Which family of media types an image is written with (the .NET SDK's <c>ContainerImageFormat</c>).</summary>
public enum ImageFormat { Oci, Docker }

/// <summary>The media types of each <see cref="ImageFormat"/>; Docker's name the same bytes as OCI's, so only the descriptors change.</summary>
public static class ImageFormats
{
    public static ImageFormat Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "oci" => ImageFormat.Oci,
        "docker" => ImageFormat.Docker,
        _ => throw new OciException(ErrorCodes.ImageFormatUnsupported, $"ContainerImageFormat '{value}' is not supported: use OCI or Docker."),
    };

    public static string Manifest(this ImageFormat format) => format == ImageFormat.Docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest;

    public static string Config(this ImageFormat format) => format == ImageFormat.Docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig;

    /// <summary>A layer's media type in this format; Docker has no type for zstd or uncompressed layers.</summary>
    public static string Layer(this ImageFormat format, string mediaType)
    {
        var oci = MediaTypes.ToOciLayer(mediaType);
        if (format == ImageFormat.Oci) return oci;
        return oci switch
        {
            MediaTypes.OciLayerGzip => MediaTypes.DockerLayerGzip,
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" => MediaTypes.DockerForeignLayerGzip,
            _ => throw new OciException(ErrorCodes.ImageFormatUnsupported,
                $"ContainerImageFormat=Docker cannot describe a layer of type '{mediaType}': Docker's media types know only gzip layers. " +
                "Use ContainerLayerCompression=gzip (and a gzip base), or ContainerImageFormat=OCI."),
        };
    }
}
