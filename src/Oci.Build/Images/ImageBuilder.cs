using System.Text.Json;
using System.Text.Json.Nodes;
using Oci.Build.Encryption;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>
/// Assembles an image from a base, built layers and settings, and writes it as an OCI image layout (atomically, see
/// <see cref="OciLayoutWriter"/>). Base blobs are copied byte for byte and verified on the way (linked when the content
/// store holds them); built layers are linked from the content store (copied across file systems).
/// </summary>
public static class ImageBuilder
{
    /// <summary>The labels only the builder can know (base digest) or must format like the config (created); the project's own labels win.</summary>
    private static ImageSettings WithGeneratedLabels(ImageSettings settings, BaseImage baseImage)
    {
        var generated = new Dictionary<string, string>();
        if (settings.LabelBaseDigest && baseImage.ManifestDescriptor is not null)
            generated[AnnotationKeys.BaseDigest] = baseImage.ManifestDescriptor.Digest.ToString();
        if (settings.LabelCreated)
            generated[AnnotationKeys.Created] = generated["org.opencontainers.artifact.created"] = ImageSettings.FormatCreated(settings.Created);
        if (generated.Count == 0) return settings;
        foreach (var (key, value) in settings.Labels) generated[key] = value;
        return settings with { Labels = generated };
    }

    /// <param name="encrypted">
    /// Layers (base or built, by plaintext digest) that go into the image as ciphertext: the manifest and the layout get
    /// the encrypted blob instead, the config keeps the plaintext diff_id (as everywhere in the ecosystem).
    /// </param>
    public static ImageResult Build(BaseImage baseImage, IReadOnlyList<BuiltLayer> layers, ImageSettings settings, string layoutPath,
        IReadOnlyDictionary<Digest, EncryptedLayer>? encrypted = null)
    {
        settings = WithGeneratedLabels(settings, baseImage);
        var format = settings.Format;
        var config = ImageConfigEditor.Apply(baseImage.Config, settings, layers);
        var configBytes = OciJson.Serialize(config);
        // Media types first: a format that cannot describe a layer fails before anything is written.
        var plainLayers = baseImage.Layers.Select(l => new Descriptor
        {
            MediaType = format.Layer(l.MediaType), Digest = l.Digest, Size = l.Size, Urls = l.Urls, Annotations = l.Annotations,
        }).Concat(layers.Select(l => l.Descriptor with { MediaType = format.Layer(l.Descriptor.MediaType) })).ToList();
        var manifestLayers = plainLayers.Select(l => Encrypted(l, encrypted) is { } e ? e.Encrypted with { MediaType = format.Layer(e.Encrypted.MediaType) } : l).ToList();

        using var writer = OciLayoutWriter.Create(layoutPath);
        foreach (var layer in baseImage.Layers)
        {
            if (Encrypted(layer, encrypted) is { } e) writer.AddTrustedBlobFile(e.BlobPath, e.Encrypted);
            else writer.CopyBlob(baseImage.Blobs!, layer);
        }
        foreach (var layer in layers)
        {
            if (Encrypted(layer.Descriptor, encrypted) is { } e) writer.AddTrustedBlobFile(e.BlobPath, e.Encrypted);
            else writer.AddTrustedBlobFile(layer.BlobPath, layer.Descriptor);
        }
        var configDescriptor = writer.WriteBlob(configBytes, format.Config());

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
            MediaType = format.Manifest(),
            Layers = manifestLayers,
            // Docker's v2 schema 2 has no annotations; the same facts stay in the config's labels when asked for.
            Annotations = format == ImageFormat.Docker ? null : annotations,
        };
        var manifestDescriptor = writer.WriteBlob(OciJson.Serialize(manifest), format.Manifest());
        // What decrypting the image gives back, byte for byte: the same manifest with the plaintext layers.
        var plaintextManifest = encrypted is { Count: > 0 } ? Digest.Of(OciJson.Serialize(manifest with { Layers = plainLayers })) : (Digest?)null;

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
            BaseName = manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseName),
            BaseDigest = manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseDigest),
            Layers = baseImage.Layers.Select((l, i) => new ImageLayerInfo("base", l, baseDiffIds[i], "base"))
                .Concat(layers.Select(l => new ImageLayerInfo(l.Name, l.Descriptor, l.DiffId, l.Origin.ToString())))
                .Select(l => Encrypted(l.Descriptor, encrypted) is { } e ? l with { Descriptor = e.Encrypted } : l)
                .ToList(),
            PlaintextManifestDigest = plaintextManifest?.ToString(),
        };
    }

    private static EncryptedLayer? Encrypted(Descriptor layer, IReadOnlyDictionary<Digest, EncryptedLayer>? encrypted) =>
        encrypted is not null && encrypted.TryGetValue(layer.Digest, out var e) ? e : null;
}
