using System.Text.Json;
using System.Text.Json.Serialization;
using Oci.Build.IO;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>
/// The small JSON file written beside the layout so CI scripts can read what was built without parsing logs.
/// It is read off the final layout (after encryption, if any), so it always describes what was actually written.
/// </summary>
public static class ImageSummary
{
    /// <param name="layerNames">Names of the layers in manifest order (base layers may be left out: they are named "base").</param>
    /// <param name="platformLayerNames">
    /// For a multi-platform image (the layout's tags name an image index): the layer names of each platform's manifest, by
    /// manifest digest. The summary then lists the index and, per platform, what <paramref name="layerNames"/> lists for one image.
    /// </param>
    public static void Write(string path, string name, string layoutPath, IReadOnlyList<string> layerNames, string? archivePath,
        IReadOnlyDictionary<Digest, IReadOnlyList<string>>? platformLayerNames = null)
    {
        // Under the layout's lock: a publish of the same project running at the same time cannot commit its layout
        // between this read and the write below, so the last summary written describes the layout that stays.
        using var layoutLock = OutputLock.Acquire(layoutPath);
        var layout = OciLayout.Open(layoutPath);
        var tags = layout.ImageTags().ToList();
        // The image, not an attached object (the SBOM's referrers index is listed beside it).
        var entry = OciLayout.FindEntry(layout.Index, null, layout.Description);
        var archive = archivePath is null ? null : Path.GetFullPath(archivePath);
        object summary;
        if (MediaTypes.IsIndex(entry.MediaType))
        {
            var index = OciJson.Deserialize<ImageIndex>(layout.ReadDocument(entry, "image index"), "image index");
            summary = new IndexSummary(
                name, tags.Select(t => $"{name}:{t}").ToList(), tags, entry.MediaType, entry.Digest.ToString(), entry.Size, layout.Root, archive,
                index.Manifests.Select(m => Platform(layout, m, platformLayerNames?.GetValueOrDefault(m.Digest) ?? [])).ToList());
        }
        else
        {
            var (manifest, layers) = Layers(layout, entry, layerNames);
            summary = new Summary(
                name, tags.Select(t => $"{name}:{t}").ToList(), tags, entry.Digest.ToString(), entry.Size,
                manifest.Config.Digest.ToString(), layout.Root, archive,
                manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseName), manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseDigest), layers);
        }
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(summary, summary.GetType(), Options));
        AtomicFile.ReplaceFile(temp, full);
    }

    private static (ImageManifest Manifest, List<SummaryLayer> Layers) Layers(OciLayout layout, Descriptor entry, IReadOnlyList<string> layerNames)
    {
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "image manifest"), "image manifest");
        var baseCount = manifest.Layers.Count - layerNames.Count;
        return (manifest, manifest.Layers.Select((l, i) => new SummaryLayer(i < baseCount ? "base" : layerNames[i - baseCount], l.MediaType, l.Digest.ToString(), l.Size)).ToList());
    }

    private static PlatformSummary Platform(OciLayout layout, Descriptor entry, IReadOnlyList<string> layerNames)
    {
        var (manifest, layers) = Layers(layout, entry, layerNames);
        return new PlatformSummary(entry.Platform?.ToString() ?? "", entry.Digest.ToString(), entry.Size, manifest.Config.Digest.ToString(),
            manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseName), manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseDigest), layers);
    }

    private static readonly JsonSerializerOptions Options = new(OciJson.Options) { WriteIndented = true };

    private sealed record Summary(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("references")] IReadOnlyList<string> References,
        [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
        [property: JsonPropertyName("manifestDigest")] string ManifestDigest,
        [property: JsonPropertyName("manifestSize")] long ManifestSize,
        [property: JsonPropertyName("configDigest")] string ConfigDigest,
        [property: JsonPropertyName("layoutPath")] string LayoutPath,
        [property: JsonPropertyName("archivePath")] string? ArchivePath,
        [property: JsonPropertyName("baseImage")] string? BaseImage,
        [property: JsonPropertyName("baseDigest")] string? BaseDigest,
        [property: JsonPropertyName("layers")] IReadOnlyList<SummaryLayer> Layers);

    /// <summary>A multi-platform image: <c>manifestDigest</c> is the index's (what every tag names); each platform lists its own image.</summary>
    private sealed record IndexSummary(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("references")] IReadOnlyList<string> References,
        [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
        [property: JsonPropertyName("mediaType")] string MediaType,
        [property: JsonPropertyName("manifestDigest")] string ManifestDigest,
        [property: JsonPropertyName("manifestSize")] long ManifestSize,
        [property: JsonPropertyName("layoutPath")] string LayoutPath,
        [property: JsonPropertyName("archivePath")] string? ArchivePath,
        [property: JsonPropertyName("platforms")] IReadOnlyList<PlatformSummary> Platforms);

    private sealed record PlatformSummary(
        [property: JsonPropertyName("platform")] string Platform,
        [property: JsonPropertyName("manifestDigest")] string ManifestDigest,
        [property: JsonPropertyName("manifestSize")] long ManifestSize,
        [property: JsonPropertyName("configDigest")] string ConfigDigest,
        [property: JsonPropertyName("baseImage")] string? BaseImage,
        [property: JsonPropertyName("baseDigest")] string? BaseDigest,
        [property: JsonPropertyName("layers")] IReadOnlyList<SummaryLayer> Layers);

    private sealed record SummaryLayer(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("mediaType")] string MediaType,
        [property: JsonPropertyName("digest")] string Digest,
        [property: JsonPropertyName("size")] long Size);
}
