using System.Diagnostics;
using Oci.Build.Store;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>
/// The image step of a publish: resolve the base, plan and build layers, write the layout, then the archive and summary.
/// Extra base image forms (registries) plug in through <see cref="IBaseImageProvider"/>.
/// </summary>
public sealed class ImagePublisher(IBuildLog log, IEnumerable<IBaseImageProvider>? extraProviders = null)
{
    /// <param name="cancellationToken">Stops the base image's pull and the layer building between layers; nothing is committed.</param>
    public ImageResult Publish(ImagePublishRequest request, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        CheckOutputPaths(request);
        var settings = request.Settings;

        var providers = new List<IBaseImageProvider>
        {
            new LayoutBaseImageProvider(request.BaseDirectory),
            new ArchiveBaseImageProvider(request.BaseDirectory),
        };
        providers.AddRange(extraProviders ?? []);
        using var baseImage = new BaseImageResolver(providers).Resolve(request.BaseImage, settings.Platform, cancellationToken);
        log.Detail($"Base image: {request.BaseImage ?? "scratch"} ({baseImage.Layers.Count} layers{(baseImage.ManifestDescriptor is null ? "" : ", " + baseImage.ManifestDescriptor.Digest)})");

        var plan = PublishLayerPlanner.Plan(request.PublishDirectory, request.ClassifiedFiles, request.Layering, request.CustomLayers,
            settings.WorkingDirectory ?? "/app");
        plan = WritableDirectory.AddTo(plan, request.WritableDirectories, settings.WorkingDirectory ?? "/app");
        var builder = new LayerBuilder(new ContentStore(request.CacheDirectory), request.Compression,
            new TarSettings(settings.Created.ToUnixTimeSeconds()), request.PreviousLayers);
        cancellationToken.ThrowIfCancellationRequested();
        var layers = builder.BuildAll(plan);
        cancellationToken.ThrowIfCancellationRequested();

        var result = ImageBuilder.Build(baseImage, layers, settings, request.LayoutPath);

        foreach (var layer in result.Layers)
            log.Info($"  layer {layer.Name,-10} {layer.Descriptor.Digest} {ByteSize.Format(layer.Descriptor.Size),10}  ({layer.Origin})");
        log.Info($"Image {string.Join(", ", result.References)} -> {result.Manifest.Digest}");
        log.Info($"  layout:  {result.LayoutPath}");
        log.Detail($"Image step took {stopwatch.Elapsed.TotalMilliseconds:F0} ms.");
        return result;
    }

    private static void CheckOutputPaths(ImagePublishRequest request)
    {
        var publish = Normalize(request.PublishDirectory);
        foreach (var (name, path) in new[] { ("ContainerImageLayoutPath", request.LayoutPath) })
        {
            var full = Normalize(path);
            if (full == publish || full.StartsWith(publish + Path.DirectorySeparatorChar, StringComparison.Ordinal) ||
                publish.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new OciException(ErrorCodes.InvalidOutputPath,
                    $"{name} '{path}' overlaps the publish folder '{request.PublishDirectory}'; the image must be written beside it, never inside it.");
        }
    }

    private static string Normalize(string path) => Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
}
