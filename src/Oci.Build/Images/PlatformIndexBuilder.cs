using System.Text.Json.Nodes;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>One platform's finished image: the runtime identifier it was published for and the layout it was written to.</summary>
public sealed record PlatformImage(string RuntimeIdentifier, string LayoutPath);

/// <summary>
/// Multi-platform output (<c>ContainerRuntimeIdentifiers</c>): combines the images published once per runtime identifier
/// into one OCI image index, written as a layout whose every tag names that index. Manifests, configs and layers are
/// copied byte for byte (so each platform's manifest keeps its digest) and a blob several platforms share is stored once.
/// </summary>
public static class PlatformIndexBuilder
{
    /// <summary>
    /// The platform of each runtime identifier, in order (duplicates of the same identifier dropped). Two identifiers that
    /// map to the same platform (<c>linux-x64</c> and <c>linux-musl-x64</c> are both <c>linux/amd64</c>) are refused: an index
    /// can offer one image per platform, and runtimes choose by os/architecture/variant only, so one of them would never run.
    /// </summary>
    public static IReadOnlyList<(string RuntimeIdentifier, Platform Platform)> PlatformsOf(IEnumerable<string> runtimeIdentifiers)
    {
        var result = new List<(string, Platform)>();
        foreach (var rid in runtimeIdentifiers.Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal))
        {
            var platform = Platform.FromRuntimeIdentifier(rid);
            var clash = result.FirstOrDefault(p => p.Item2 == platform);
            if (clash.Item1 is not null)
                throw new OciException(ErrorCodes.DuplicatePlatform,
                    $"ContainerRuntimeIdentifiers names {clash.Item1} and {rid}, which are both {platform}: an image index holds one image per platform, " +
                    "and container runtimes choose by os/architecture/variant only. Publish them as separate images (for example with a '-musl' tag).");
            result.Add((rid, platform));
        }
        return result;
    }

    public static ImageIndexResult Build(string name, IReadOnlyList<string> tags, IReadOnlyList<PlatformImage> images, string layoutPath)
    {
        if (images.Count == 0)
            throw new OciException(ErrorCodes.InvalidSetting, "An image index needs at least one platform image.");
        PlatformsOf(images.Select(i => i.RuntimeIdentifier));

        using var writer = OciLayoutWriter.Create(layoutPath);
        var platforms = new List<PlatformManifest>();
        var attached = new List<Descriptor>();
        foreach (var image in images)
        {
            var layout = OciLayout.Open(image.LayoutPath);
            // Attached objects of the platform image (its SBOM referrer, ContainerSbom) are not images: they come along below.
            var entries = AttachedObjects.Images(layout.Index).DistinctBy(m => m.Digest).ToList();
            if (entries.Count != 1 || !MediaTypes.IsManifest(entries[0].MediaType))
                throw new OciException(ErrorCodes.InvalidLayout,
                    $"{layout.Description} (the {image.RuntimeIdentifier} image) should hold exactly one image manifest; it holds {entries.Count} entries.");
            var entry = entries[0] with { Annotations = null };
            var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "image manifest"), $"image manifest {entry.Digest}");
            var platform = ConfigPlatform(layout, manifest.Config, image.RuntimeIdentifier);

            foreach (var layer in manifest.Layers)
            {
                // Non-distributable layers live at their URLs; a layout need not hold them.
                if (layer.Urls is { Count: > 0 } && !layout.HasBlob(layer.Digest)) continue;
                writer.CopyBlob(layout, layer);
            }
            writer.CopyBlob(layout, manifest.Config);
            writer.CopyBlob(layout, entry);
            platforms.Add(new PlatformManifest(image.RuntimeIdentifier, platform, entry with { Platform = platform }, manifest.Config.Digest));
            attached.AddRange(CopyAttached(layout, writer));
        }

        var index = new ImageIndex { Manifests = platforms.Select(p => p.Manifest).ToList() };
        var indexDescriptor = writer.WriteBlob(OciJson.Serialize(index), MediaTypes.OciIndex);
        writer.Commit(new ImageIndex
        {
            Manifests = [.. tags.Select(tag => indexDescriptor.WithAnnotation(AnnotationKeys.RefName, tag)), .. attached],
        });
        return new ImageIndexResult { Name = name, Tags = tags, LayoutPath = writer.Destination, Index = indexDescriptor, Platforms = platforms };
    }

    /// <summary>
    /// Copies the objects attached to a platform image by tag (the referrers index of its SBOM, and what it lists) into
    /// the index's layout; returns their index.json entries (with their tags).
    /// </summary>
    private static IEnumerable<Descriptor> CopyAttached(OciLayout layout, OciLayoutWriter writer)
    {
        foreach (var entry in layout.Index.Manifests.Where(m => m.Annotation(AnnotationKeys.RefName) is { } tag && AttachedObjects.IsAttachedTag(tag)))
        {
            var root = entry with { Annotations = null };
            var documents = new List<Descriptor> { root };
            if (MediaTypes.IsIndex(root.MediaType))
                documents.AddRange(OciJson.Deserialize<ImageIndex>(layout.ReadDocument(root, "referrers index"), "referrers index").Manifests.Select(m => m with { Annotations = null, ArtifactType = null }));
            foreach (var document in documents)
            {
                if (MediaTypes.IsManifest(document.MediaType))
                {
                    var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(document, "attached manifest"), "attached manifest");
                    writer.CopyBlob(layout, manifest.Config);
                    foreach (var layer in manifest.Layers) writer.CopyBlob(layout, layer);
                }
                writer.CopyBlob(layout, document);
            }
            yield return entry;
        }
    }

    /// <summary>The platform the image's config declares; it must be the one its runtime identifier asks for.</summary>
    private static Platform ConfigPlatform(OciLayout layout, Descriptor configDescriptor, string runtimeIdentifier)
    {
        var expected = Platform.FromRuntimeIdentifier(runtimeIdentifier);
        var config = JsonNode.Parse(layout.ReadDocument(configDescriptor, "image config")) as JsonObject
            ?? throw new OciException(ErrorCodes.InvalidDocument, $"{layout.Description}: the image config {configDescriptor.Digest} is not a JSON object.");
        var platform = new Platform
        {
            Os = config["os"]?.GetValue<string>() ?? "",
            Architecture = config["architecture"]?.GetValue<string>() ?? "",
            Variant = config["variant"]?.GetValue<string>(),
            OsVersion = config["os.version"]?.GetValue<string>(),
        };
        if (platform.Os != expected.Os || platform.Architecture != expected.Architecture || platform.Variant != expected.Variant)
            throw new OciException(ErrorCodes.InvalidLayout,
                $"{layout.Description} holds an image for {platform}, but it was published for {runtimeIdentifier} ({expected}).");
        return platform;
    }
}
