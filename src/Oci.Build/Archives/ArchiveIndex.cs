using System.Text.Json;
using System.Text.Json.Serialization;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Archives;

/// <summary>One blob of an archive's images: what it is and which repositories' manifests reference it.</summary>
public sealed record ArchiveIndexBlob
{
    [JsonPropertyName("digest")] public required string Digest { get; init; }
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("mediaType")] public required string MediaType { get; init; }
    /// <summary>manifest, index, config, layer or artifact (a blob an index lists directly).</summary>
    [JsonPropertyName("role")] public required string Role { get; init; }
    /// <summary>The original repositories (<c>HOST/PATH</c>, as bundle.json names them) whose images reference the blob.</summary>
    [JsonPropertyName("repositories")] public required IReadOnlyList<string> Repositories { get; init; }
    /// <summary>False for a blob a delta archive does not carry: the site has it from the baseline.</summary>
    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("carried")] public bool Carried { get; set; } = true;
}

/// <summary>The bundle an archive carries, by name and version.</summary>
public sealed record ArchiveBundleName(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version);

/// <summary>
/// <c>ARCHIVE.index.json</c>, written beside every thick archive: the archive's sha256 and size, its bundle, and every
/// blob of its images (digest, size, media type, the repositories that reference it). It is what a later build needs
/// as a baseline for a delta (<see cref="ArchiveBaseline"/>), small enough to carry back from a site, and derived
/// from the archive alone (<see cref="Of(ArchiveSource, string, long)"/>), so a lost index is rebuilt from its archive.
/// For a delta, the blobs it expects at the site are listed too (<see cref="ArchiveIndexBlob.Carried"/> false): the site
/// holds them after the import, so the delta's index is a baseline for the next one.
/// </summary>
public sealed record ArchiveIndex
{
    public const string CurrentMediaType = "application/vnd.oci-build.archive-index.v1+json";
    public const string Suffix = ".index.json";

    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("mediaType")] public string MediaType { get; set; } = CurrentMediaType;
    [JsonPropertyName("archive")] public required string Archive { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("bundle")] public ArchiveBundleName? Bundle { get; init; }
    /// <summary>For a delta: the sha256 of the archive it was made against.</summary>
    [JsonPropertyName("baseline")] public string? Baseline { get; init; }
    [JsonPropertyName("blobs")] public required IReadOnlyList<ArchiveIndexBlob> Blobs { get; init; }

    public static string PathFor(string archivePath) => archivePath + Suffix;

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, ArchiveJsonContext.Default.ArchiveIndex);

    public static ArchiveIndex Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > 64L << 20) throw new JsonException("larger than 64 MiB");
            var index = JsonSerializer.Deserialize(File.ReadAllBytes(path), ArchiveJsonContext.Default.ArchiveIndex) ?? throw new JsonException("null");
            if (index.MediaType != CurrentMediaType) throw new JsonException($"mediaType is '{index.MediaType}', not {CurrentMediaType}");
            if (index.Blobs is null || index.Blobs.Any(b => b is null || !Oci.Digest.TryParse(b.Digest, out _) || b.Size < 0 || b.Repositories is null))
                throw new JsonException("a blob lacks a valid digest, size or repositories");
            return index;
        }
        catch (Exception ex) when (ex is JsonException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            throw new OciException(ErrorCodes.DamagedArchiveBaseline, $"The archive index '{path}' cannot be read: {ex.Message}. Use the archive itself (or its checksums.sha256) as the baseline instead.", ex);
        }
    }

    /// <summary>The index of an archive, from its layout (and, for a delta, its delta.json).</summary>
    public static ArchiveIndex Of(ArchiveSource source, string sha256, long size, CancellationToken cancellationToken = default)
    {
        var bundleBytes = source.Members.TryReadDocument(ThickArchive.BundleFile, ErrorCodes.InvalidBundle);
        var bundle = bundleBytes is null ? null : Bundles.BundleJson.Deserialize(bundleBytes, $"bundle.json of '{source.Members.Path}'");
        return Build(source, source.Index, bundle is null ? null : new ArchiveBundleName(bundle.Name, bundle.Version), DeltaRecord.ReadFrom(source),
            Path.GetFileName(source.Members.Path), sha256, size, cancellationToken);
    }

    /// <summary>
    /// Every blob reachable from the layout's images (and what is attached to them), each with the repositories of the
    /// images that reach it; blobs a delta expects are listed as not carried. Sorted by digest: the same layout gives the same bytes.
    /// </summary>
    public static ArchiveIndex Build(IImageSource source, ImageIndex layoutIndex, ArchiveBundleName? bundle, DeltaRecord? delta, string archiveName, string sha256, long size,
        CancellationToken cancellationToken = default)
    {
        var blobs = new SortedDictionary<string, (Descriptor Descriptor, string Role, SortedSet<string> Repositories)>(StringComparer.Ordinal);
        void Add(Descriptor descriptor, string role, string repository)
        {
            var key = descriptor.Digest.ToString();
            if (!blobs.TryGetValue(key, out var entry)) blobs[key] = entry = (descriptor, role, new SortedSet<string>(StringComparer.Ordinal));
            entry.Repositories.Add(repository);
        }
        foreach (var entry in AttachedObjects.Images(layoutIndex))
        {
            var repository = RepositoryOf(entry);
            var graph = ImageWalker.WalkAsync(source, [entry with { Annotations = null }], cancellationToken).GetAwaiter().GetResult();
            var attached = AttachedObjects.FindAsync(source, graph, cancellationToken).GetAwaiter().GetResult();
            if (attached.Count > 0)
                graph = ImageWalker.WalkAsync(source, [entry with { Annotations = null }, .. attached.Select(a => a.Descriptor)], cancellationToken).GetAwaiter().GetResult();
            foreach (var document in graph.Documents)
                Add(document.Descriptor with { Annotations = null, Platform = null }, MediaTypes.IsIndex(document.Descriptor.MediaType) ? "index" : "manifest", repository);
            foreach (var blob in graph.Blobs) Add(blob.Descriptor with { Annotations = null, Platform = null, Urls = null }, blob.Role, repository);
        }
        var expected = delta?.Expected.Select(e => e.Digest).ToHashSet(StringComparer.Ordinal) ?? [];
        return new ArchiveIndex
        {
            Archive = archiveName,
            Sha256 = sha256,
            Size = size,
            Bundle = bundle,
            Baseline = delta?.Baseline.Sha256,
            Blobs = blobs.Select(b => new ArchiveIndexBlob
            {
                Digest = b.Key, Size = b.Value.Descriptor.Size, MediaType = b.Value.Descriptor.MediaType, Role = b.Value.Role,
                Repositories = [.. b.Value.Repositories], Carried = !expected.Contains(b.Key),
            }).ToList(),
        };
    }

    /// <summary>The repository (<c>HOST/PATH</c>) an index.json entry of a thick archive is named by.</summary>
    public static string RepositoryOf(Descriptor entry) =>
        entry.Annotation(AnnotationKeys.RefName) is { } name && ImageReference.TryParse(name, out var reference, out _) && name.Contains('/')
            ? reference!.Name
            : "";

}
