using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Archives;

/// <summary>One numbered part of a split archive, as its description lists it.</summary>
public sealed record ArchivePart(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256);

/// <summary>
/// <c>NAME.parts.json</c>: what a carrier needs to check a split archive before using it (how many parts, each part's
/// size and sha256, and the whole archive's).
/// </summary>
public sealed record ArchivePartsDescription
{
    public const string CurrentMediaType = "application/vnd.oci-build.archive-parts.v1+json";

    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("mediaType")] public string MediaType { get; set; } = CurrentMediaType;
    [JsonPropertyName("archive")] public required string Archive { get; init; }
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("count")] public int Count { get; init; }
    [JsonPropertyName("parts")] public required IReadOnlyList<ArchivePart> Parts { get; init; }
}

/// <summary>An archive's bytes: one file, or the checked parts of one, read as one seekable stream (never joined on disk).</summary>
public sealed record ArchiveInput(string Path, IReadOnlyList<string> Files, long Length)
{
    public bool IsSplit => Files.Count > 1 || Files[0] != Path;

    public Stream OpenRead() => Files.Count == 1
        ? new FileStream(Files[0], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16)
        : new ConcatenatedReadStream(Files);
}

/// <summary>
/// Splitting an archive into numbered parts for removable media (<c>NAME.part001</c>, ... and <c>NAME.parts.json</c>),
/// and opening an archive given as a file, its first part or its description: every part is checked (present, size,
/// sha256) before anything reads the archive, so a missing or damaged part is named before any work starts.
/// </summary>
public static partial class ArchiveParts
{
    public const string DescriptionSuffix = ".parts.json";
    private static readonly HashSet<string> Checked = [];

    /// <summary>Parts of <paramref name="archivePath"/> of at most <paramref name="partSize"/> bytes each, and their description; returns the description's path.</summary>
    public static string Split(string archivePath, long partSize, string? outputDirectory = null)
    {
        if (partSize <= 0) throw new OciException(ErrorCodes.InvalidPartSize, $"A part size must be positive, not {partSize}.");
        var archive = System.IO.Path.GetFullPath(archivePath);
        if (!File.Exists(archive)) throw new OciException(ErrorCodes.InvalidThickArchive, $"The archive '{archive}' does not exist.");
        var directory = System.IO.Path.GetFullPath(outputDirectory ?? System.IO.Path.GetDirectoryName(archive)!);
        var name = System.IO.Path.GetFileName(archive);
        var length = new FileInfo(archive).Length;
        var count = (int)Math.Max(1, (length + partSize - 1) / partSize);
        if (count > 999) throw new OciException(ErrorCodes.InvalidPartSize, $"{ByteSize.Format(partSize)} parts would make {count} parts of '{name}'; at most 999: choose a larger size.");
        Directory.CreateDirectory(directory);
        var parts = new List<ArchivePart>();
        var written = new List<string>();
        try
        {
            using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var input = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            var buffer = new byte[1 << 17];
            for (var i = 1; i <= count; i++)
            {
                var partName = PartName(name, i);
                var path = System.IO.Path.Combine(directory, partName);
                written.Add(path);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long size = 0;
                using (var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    while (size < partSize)
                    {
                        var n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, partSize - size));
                        if (n == 0) break;
                        output.Write(buffer, 0, n);
                        hash.AppendData(buffer, 0, n);
                        whole.AppendData(buffer, 0, n);
                        size += n;
                    }
                }
                parts.Add(new ArchivePart(partName, size, Convert.ToHexStringLower(hash.GetHashAndReset())));
            }
            var description = new ArchivePartsDescription
            {
                Archive = name, Size = length, Sha256 = Convert.ToHexStringLower(whole.GetHashAndReset()), Count = count, Parts = parts,
            };
            var descriptionPath = System.IO.Path.Combine(directory, name + DescriptionSuffix);
            written.Add(descriptionPath);
            File.WriteAllBytes(descriptionPath, JsonSerializer.SerializeToUtf8Bytes(description, ArchiveJsonContext.Default.ArchivePartsDescription));
            return descriptionPath;
        }
        catch (IOException ex)
        {
            foreach (var file in written) File.Delete(file);
            throw new OciException(ErrorCodes.ArchiveWriteFailed, $"Cannot write the parts of '{name}' into '{directory}': {ex.Message}", ex);
        }
    }

    public static string PartName(string archiveName, int number) => $"{archiveName}.part{number.ToString("D3", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The archive a path names: the archive itself, its description (<c>.parts.json</c>) or one of its parts (the
    /// description beside it is then used). Parts are checked first (present, size, sha256; the whole's sha256).
    /// </summary>
    public static ArchiveInput Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        string? descriptionPath = null;
        if (full.EndsWith(DescriptionSuffix, StringComparison.Ordinal)) descriptionPath = full;
        else if (PartSuffix().Match(full) is { Success: true } match) descriptionPath = full[..match.Index] + DescriptionSuffix;
        if (descriptionPath is null)
        {
            if (!File.Exists(full)) throw new OciException(ErrorCodes.InvalidThickArchive, $"The archive '{full}' does not exist.");
            return new ArchiveInput(full, [full], new FileInfo(full).Length);
        }
        if (!File.Exists(descriptionPath))
            throw new OciException(ErrorCodes.ArchivePartMissing, $"'{full}' is a part of a split archive, but its description '{descriptionPath}' is missing: carry it with the parts.");
        var description = ReadDescription(descriptionPath);
        var directory = System.IO.Path.GetDirectoryName(descriptionPath)!;
        var files = description.Parts.Select(p => System.IO.Path.Combine(directory, p.Name)).ToList();
        var missing = files.Where(f => !File.Exists(f)).Select(System.IO.Path.GetFileName).ToList();
        if (missing.Count > 0)
            throw new OciException(ErrorCodes.ArchivePartMissing,
                $"{description.Archive} is split into {description.Count} parts; missing: {string.Join(", ", missing)} (expected in {directory}). Nothing was read or pushed.");
        Check(description, files, descriptionPath);
        return new ArchiveInput(descriptionPath, files, description.Size);
    }

    /// <summary>Reads and checks a parts description (NAME.parts.json); anything malformed is a coded error.</summary>
    public static ArchivePartsDescription ReadDescription(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > 1 << 20) throw new JsonException("larger than 1 MiB");
            var description = JsonSerializer.Deserialize(File.ReadAllBytes(path), ArchiveJsonContext.Default.ArchivePartsDescription)
                ?? throw new JsonException("null");
            if (description.MediaType != ArchivePartsDescription.CurrentMediaType || description.Parts is not { Count: > 0 } || description.Count != description.Parts.Count
                || description.Parts.Any(p => p.Name is null || p.Name.Contains('/') || p.Name.Contains('\\') || p.Name is "." or ".." || p.Size < 0)
                || description.Parts.Sum(p => p.Size) != description.Size)
                throw new JsonException("the fields are inconsistent (mediaType, count, part names, sizes)");
            return description;
        }
        catch (Exception ex) when (ex is JsonException or IOException or NotSupportedException)
        {
            throw new OciException(ErrorCodes.ArchivePartDamaged, $"The parts description '{path}' is damaged: {ex.Message}.", ex);
        }
    }

    /// <summary>Every part's size and sha256 and the whole's, in one read. Done once per process for unchanged parts.</summary>
    private static void Check(ArchivePartsDescription description, IReadOnlyList<string> files, string descriptionPath)
    {
        var key = string.Join("|", files.Select(f => $"{f}:{new FileInfo(f).Length}:{File.GetLastWriteTimeUtc(f).Ticks}"));
        lock (Checked)
            if (Checked.Contains(key)) return;
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 17];
        for (var i = 0; i < files.Count; i++)
        {
            var part = description.Parts[i];
            var actual = new FileInfo(files[i]).Length;
            if (actual != part.Size)
                throw new OciException(ErrorCodes.ArchivePartDamaged,
                    $"Part {part.Name} of {description.Archive} is {actual} bytes, but {part.Size} were written: it is damaged or incomplete. Copy it again; nothing was pushed.");
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var input = new FileStream(files[i], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            {
                int n;
                while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    whole.AppendData(buffer, 0, n);
                }
            }
            if (!string.Equals(Convert.ToHexStringLower(hash.GetHashAndReset()), part.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new OciException(ErrorCodes.ArchivePartDamaged,
                    $"Part {part.Name} of {description.Archive} does not match its sha256 in {System.IO.Path.GetFileName(descriptionPath)}: it is damaged. Copy it again; nothing was pushed.");
        }
        if (!string.Equals(Convert.ToHexStringLower(whole.GetHashAndReset()), description.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new OciException(ErrorCodes.ArchivePartDamaged, $"The parts of {description.Archive} do not join to the archive that was split (sha256 of the whole differs).");
        lock (Checked) Checked.Add(key);
    }

    /// <summary>A size in bytes, or with a suffix K, M, G, T (powers of 1024; a trailing B or iB is accepted): 4.7G, 700M, 1048576.</summary>
    public static long ParseSize(string text)
    {
        var value = text.Trim();
        var match = SizePattern().Match(value);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            throw new OciException(ErrorCodes.InvalidPartSize, $"'{text}' is not a size: write bytes (1048576) or a number with K, M, G or T (700M, 4.7G).");
        var multiplier = char.ToUpperInvariant(match.Groups[2].Value.FirstOrDefault()) switch
        {
            'K' => 1L << 10,
            'M' => 1L << 20,
            'G' => 1L << 30,
            'T' => 1L << 40,
            _ => 1L,
        };
        var bytes = number * multiplier;
        if (bytes < 1 || bytes > long.MaxValue / 2)
            throw new OciException(ErrorCodes.InvalidPartSize, $"'{text}' is not a usable part size (at least one byte).");
        return (long)bytes;
    }

    [GeneratedRegex(@"\.part\d{3}$")]
    private static partial Regex PartSuffix();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([KMGTkmgt]?)(?:i?[Bb])?$")]
    private static partial Regex SizePattern();
}
