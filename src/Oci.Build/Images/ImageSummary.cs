using System.Text.Json;
using System.Text.Json.Serialization;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>
/// The small JSON file written beside the layout so CI scripts can read what was built without parsing logs. It is
/// written from the build result (<see cref="ImageResult"/>; encrypted layers as their ciphertext, with the manifest digest decryption gives back), the same data the build
/// log shows, so the layout is not read again and layer names are the build's own.
/// </summary>
public static class ImageSummary
{
    public static void Write(string path, ImageResult image, string? archivePath) =>
        WriteFile(path, image.LayoutPath, new Summary(
            image.Name, image.References.ToList(), image.Tags, image.Manifest.Digest.ToString(), image.Manifest.Size,
            image.Config.Digest.ToString(), image.LayoutPath, Full(archivePath), image.BaseName, image.BaseDigest, Layers(image), image.PlaintextManifestDigest));

    /// <summary>A multi-platform image: the index, and per platform what a single image lists (<paramref name="platformImages"/>: each platform's own build result).</summary>
    public static void Write(string path, ImageIndexResult index, IReadOnlyList<ImageResult> platformImages, string? archivePath)
    {
        var byManifest = platformImages.ToDictionary(i => i.Manifest.Digest);
        var platforms = index.Platforms.Select(p =>
        {
            var image = byManifest.GetValueOrDefault(p.Manifest.Digest)
                ?? throw new OciException(ErrorCodes.BuildResultUnreadable, $"No platform build result describes {p.Platform}'s manifest {p.Manifest.Digest}; publish again.");
            return new PlatformSummary(p.Platform.ToString(), p.Manifest.Digest.ToString(), p.Manifest.Size, p.Config.ToString(),
                image.BaseName, image.BaseDigest, Layers(image), image.PlaintextManifestDigest);
        }).ToList();
        WriteFile(path, index.LayoutPath, new IndexSummary(
            index.Name, index.References.ToList(), index.Tags, index.Index.MediaType, index.Index.Digest.ToString(), index.Index.Size,
            index.LayoutPath, Full(archivePath), platforms));
    }

    private static string? Full(string? archivePath) => archivePath is null ? null : Path.GetFullPath(archivePath);

    private static List<SummaryLayer> Layers(ImageResult image) =>
        image.Layers.Select(l => new SummaryLayer(l.IsBase ? "base" : l.Name, l.Descriptor.MediaType, l.Descriptor.Digest.ToString(), l.Descriptor.Size)).ToList();

    private static void WriteFile(string path, string layoutPath, object summary)
    {
        // Under the layout's lock: a publish of the same project running at the same time cannot commit its layout
        // while this one writes its summary, so the last summary written belongs to a layout that was committed last.
        using var layoutLock = OutputLock.Acquire(Path.GetFullPath(layoutPath).TrimEnd(Path.DirectorySeparatorChar));
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(summary, Options.GetTypeInfo(summary.GetType())));
        AtomicFile.ReplaceFile(temp, full);
    }

    private static readonly JsonSerializerOptions Options = OciJson.For(ImageJsonContext.Default, indented: true);

    internal sealed record Summary(
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
        [property: JsonPropertyName("layers")] IReadOnlyList<SummaryLayer> Layers,
        [property: JsonPropertyName("plaintextManifestDigest")] string? PlaintextManifestDigest);

    /// <summary>A multi-platform image: <c>manifestDigest</c> is the index's (what every tag names); each platform lists its own image.</summary>
    internal sealed record IndexSummary(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("references")] IReadOnlyList<string> References,
        [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
        [property: JsonPropertyName("mediaType")] string MediaType,
        [property: JsonPropertyName("manifestDigest")] string ManifestDigest,
        [property: JsonPropertyName("manifestSize")] long ManifestSize,
        [property: JsonPropertyName("layoutPath")] string LayoutPath,
        [property: JsonPropertyName("archivePath")] string? ArchivePath,
        [property: JsonPropertyName("platforms")] IReadOnlyList<PlatformSummary> Platforms);

    internal sealed record PlatformSummary(
        [property: JsonPropertyName("platform")] string Platform,
        [property: JsonPropertyName("manifestDigest")] string ManifestDigest,
        [property: JsonPropertyName("manifestSize")] long ManifestSize,
        [property: JsonPropertyName("configDigest")] string ConfigDigest,
        [property: JsonPropertyName("baseImage")] string? BaseImage,
        [property: JsonPropertyName("baseDigest")] string? BaseDigest,
        [property: JsonPropertyName("layers")] IReadOnlyList<SummaryLayer> Layers,
        [property: JsonPropertyName("plaintextManifestDigest")] string? PlaintextManifestDigest);

    internal sealed record SummaryLayer(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("mediaType")] string MediaType,
        [property: JsonPropertyName("digest")] string Digest,
        [property: JsonPropertyName("size")] long Size);
}
