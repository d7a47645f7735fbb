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
    public static void Write(string path, string name, string layoutPath, IReadOnlyList<string> layerNames, string? archivePath)
    {
        var layout = OciLayout.Open(layoutPath);
        var tags = layout.Tags().ToList();
        var entry = layout.Index.Manifests[0];
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "image manifest"), "image manifest");
        var baseCount = manifest.Layers.Count - layerNames.Count;
        var summary = new Summary(
            name, tags.Select(t => $"{name}:{t}").ToList(), tags, entry.Digest.ToString(), entry.Size,
            manifest.Config.Digest.ToString(), layout.Root, archivePath is null ? null : Path.GetFullPath(archivePath),
            manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseName), manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseDigest),
            manifest.Layers.Select((l, i) => new SummaryLayer(i < baseCount ? "base" : layerNames[i - baseCount], l.MediaType, l.Digest.ToString(), l.Size)).ToList());
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(summary, Options));
        AtomicDirectory.ReplaceFile(temp, full);
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

    private sealed record SummaryLayer(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("mediaType")] string MediaType,
        [property: JsonPropertyName("digest")] string Digest,
        [property: JsonPropertyName("size")] long Size);
}
