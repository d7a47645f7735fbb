using System.Text.Json;
using System.Text.Json.Serialization;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Archives;

/// <summary>A blob a delta archive leaves out: the site must hold it, in each of these repositories, before the import.</summary>
public sealed record ExpectedBlob
{
    [JsonPropertyName("digest")] public required string Digest { get; init; }
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("mediaType")] public required string MediaType { get; init; }
    /// <summary>The original repositories (<c>HOST/PATH</c> of bundle.json) it is checked through, after relocation.</summary>
    [JsonPropertyName("repositories")] public required IReadOnlyList<string> Repositories { get; init; }
}

/// <summary>The archive a delta was made against.</summary>
public sealed record DeltaBaseline
{
    /// <summary>The baseline archive's file name (empty when the baseline was a checksum file).</summary>
    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("archive")] public string Archive { get; set; } = "";
    [JsonPropertyName("sha256")] public string? Sha256 { get; init; }
    [JsonPropertyName("bundle")] public ArchiveBundleName? Bundle { get; init; }
}

/// <summary>
/// <c>delta.json</c> inside a delta archive (listed in checksums.sha256 like every file): the baseline, and every blob the
/// archive's images reference but the archive does not carry, with the repositories the site must hold it in. Readers
/// that know nothing of deltas (Porter) see a thick archive whose layout lacks some layers; our readers check the site
/// first (<see cref="ThickArchiveImporter"/>) or layer the delta on the full archive (serve).
/// </summary>
public sealed record DeltaRecord
{
    public const string CurrentMediaType = "application/vnd.oci-build.archive-delta.v1+json";

    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("mediaType")] public string MediaType { get; set; } = CurrentMediaType;
    [JsonPropertyName("baseline")] public required DeltaBaseline Baseline { get; init; }
    [JsonPropertyName("expected")] public required IReadOnlyList<ExpectedBlob> Expected { get; init; }

    public long ExpectedBytes => Expected.Sum(e => e.Size);

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, ArchiveJsonContext.Default.DeltaRecord);

    public ExpectedBlob? Find(Digest digest) => Expected.FirstOrDefault(e => e.Digest == digest.ToString());

    /// <summary>The delta record of an archive, or null for a full archive; a malformed one is refused.</summary>
    public static DeltaRecord? ReadFrom(ArchiveSource source)
    {
        var bytes = source.Members.TryReadDocument(ThickArchive.DeltaFile, ErrorCodes.InvalidDeltaRecord);
        if (bytes is null) return null;
        try
        {
            var record = JsonSerializer.Deserialize(bytes, ArchiveJsonContext.Default.DeltaRecord) ?? throw new JsonException("null");
            if (record.MediaType != CurrentMediaType) throw new JsonException($"mediaType is '{record.MediaType}', not {CurrentMediaType}");
            if (record.Baseline is null || record.Expected is null
                || record.Expected.Any(e => e is null || !Oci.Digest.TryParse(e.Digest, out _) || e.Size < 0 || e.MediaType is null || e.Repositories is not { Count: > 0 }))
                throw new JsonException("an expected blob lacks a valid digest, size, media type or repository");
            if (record.Expected.Select(e => e.Digest).Distinct().Count() != record.Expected.Count) throw new JsonException("a blob is expected twice");
            return record;
        }
        catch (JsonException ex)
        {
            throw new OciException(ErrorCodes.InvalidDeltaRecord, $"{ThickArchive.DeltaFile} of '{source.Members.Path}' is malformed: {ex.Message}.", ex);
        }
    }

}
