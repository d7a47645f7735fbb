using Oci.Build.Store;
using Oci.Build.Layers;

namespace Oci.Build.Images;

/// <summary>
/// Builds a one-layer image from files and directories chosen by the caller: how a site without any registry makes its
/// own base image (for example the glibc, libstdc++ and OpenSSL a self-contained .NET app needs) from a machine it trusts.
/// </summary>
public static class FilesystemImage
{
    public static ImageResult Build(IReadOnlyList<LayerEntry> entries, ImageSettings settings, string layoutPath, string cacheDirectory)
    {
        var builder = new LayerBuilder(new ContentStore(cacheDirectory), LayerCompression.Gzip, new TarSettings(settings.Created.ToUnixTimeSeconds()));
        var layer = builder.Build(new LayerSpec("rootfs", entries));
        using var scratch = BaseImage.Scratch();
        return ImageBuilder.Build(scratch, [layer], settings, layoutPath);
    }
}
