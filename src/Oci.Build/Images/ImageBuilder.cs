using System.Text.Json;
using System.Text.Json.Nodes;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>
/// Assembles an image from a base, built layers and settings, and writes it as an OCI image layout (atomically, see
/// <see cref="OciLayoutWriter"/>). Base blobs are copied byte for byte and verified on the way.
/// </summary>
public static class ImageBuilder
{
    public static ImageResult Build(BaseImage baseImage, IReadOnlyList<BuiltLayer> layers, ImageSettings settings, string layoutPath, bool layoutIsScratch = false)
    {
        var config = ImageConfigEditor.Apply(baseImage.Config, settings, layers);
        var configBytes = JsonSerializer.SerializeToUtf8Bytes(config, OciJson.Options);

        using var writer = OciLayoutWriter.Create(layoutPath, linkTrustedBlobs: layoutIsScratch);
        foreach (var layer in baseImage.Layers)
            writer.CopyBlob(baseImage.Blobs!, layer);
        foreach (var layer in layers)
            writer.AddTrustedBlobFile(layer.BlobPath, layer.Descriptor);
        var configDescriptor = writer.WriteBlob(configBytes, MediaTypes.OciConfig);

        var annotations = new Dictionary<string, string>(settings.Annotations)
        {
            [AnnotationKeys.Created] = ImageSettings.FormatCreated(settings.Created),
        };
        if (baseImage.ManifestDescriptor is not null)
            annotations[AnnotationKeys.BaseDigest] = baseImage.ManifestDescriptor.Digest.ToString();
        if (baseImage.Name is not null)
            annotations[AnnotationKeys.BaseName] = baseImage.Name;

        var manifest = new ImageManifest
        {
            Config = configDescriptor,
            Layers = baseImage.Layers.Select(l => new Descriptor
            {
                MediaType = MediaTypes.ToOciLayer(l.MediaType), Digest = l.Digest, Size = l.Size, Urls = l.Urls, Annotations = l.Annotations,
            }).Concat(layers.Select(l => l.Descriptor)).ToList(),
            Annotations = annotations,
        };
        var manifestDescriptor = writer.WriteBlob(OciJson.Serialize(manifest), MediaTypes.OciManifest);

        writer.Commit(new ImageIndex
        {
            Manifests = settings.Tags.Select(tag => manifestDescriptor.WithAnnotation(AnnotationKeys.RefName, tag)).ToList(),
        });

        var baseDiffIds = (baseImage.Config["rootfs"]?["diff_ids"] as JsonArray)?.Select(n => Digest.Parse(n!.GetValue<string>())).ToList() ?? [];
        return new ImageResult
        {
            Name = settings.Name,
            Tags = settings.Tags,
            LayoutPath = writer.Destination,
            Manifest = manifestDescriptor,
            Config = configDescriptor,
            Platform = settings.Platform,
            Layers = baseImage.Layers.Select((l, i) => new ImageLayerInfo("base", l, baseDiffIds[i], "base"))
                .Concat(layers.Select(l => new ImageLayerInfo(l.Name, l.Descriptor, l.DiffId, l.Origin.ToString())))
                .ToList(),
        };
    }
}
