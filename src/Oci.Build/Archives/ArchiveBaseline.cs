using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Archives;

/// <summary>
/// What a site already holds, as a delta archive is written against it (<c>ContainerArchiveBaseline</c>, <c>export
/// --baseline</c>): the previous archive (or its first part or parts description), its index file
/// (<c>ARCHIVE.index.json</c>), or its <c>checksums.sha256</c>. The index and the archive say which repositories hold
/// each blob, so a layer is left out only for the repositories that had it; a checksum file knows digests only, so any
/// layer it lists is left out and the import's check at the site (by HEAD, before anything is pushed) is the safety net.
/// </summary>
public sealed partial class ArchiveBaseline
{
    private readonly Dictionary<Digest, IReadOnlySet<string>?> _blobs;

    private ArchiveBaseline(string path, DeltaBaseline description, Dictionary<Digest, IReadOnlySet<string>?> blobs)
    {
        Path = path;
        Description = description;
        _blobs = blobs;
    }

    public string Path { get; }
    public DeltaBaseline Description { get; }
    public int Blobs => _blobs.Count;

    /// <summary>True when the site holds <paramref name="blob"/> in <paramref name="repository"/> (<c>HOST/PATH</c>) by this baseline.</summary>
    public bool Covers(Digest blob, string repository) => _blobs.TryGetValue(blob, out var repositories) && (repositories is null || repositories.Contains(repository));

    /// <summary>Refuses a baseline of another bundle: its repositories are not this bundle's, so nothing would be left out but by accident.</summary>
    public void CheckBundle(string name)
    {
        if (Description.Bundle is { } bundle && bundle.Name != name)
            throw new OciException(ErrorCodes.BaselineOfAnotherBundle,
                $"The baseline {Path} holds bundle {bundle.Name} {bundle.Version}, not {name}: a delta is made against an earlier archive of the same bundle.");
    }

    public static ArchiveBaseline Load(string path, CancellationToken cancellationToken = default)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new OciException(ErrorCodes.InvalidArchiveBaseline, $"The baseline '{full}' does not exist: give the previous archive, its .index.json or its checksums.sha256.");
        if (full.EndsWith(ArchiveIndex.Suffix, StringComparison.Ordinal)) return FromIndex(full, ArchiveIndex.Read(full));
        if (full.EndsWith(".sha256", StringComparison.Ordinal)) return FromChecksums(full);
        ArchiveSource source;
        try
        {
            source = ArchiveSource.Open(full);
        }
        catch (OciException ex)
        {
            throw new OciException(ErrorCodes.InvalidArchiveBaseline,
                $"The baseline '{full}' is not a thick archive, an archive index (.index.json) or a checksums.sha256 file ({ex.Code}: {ex.Message}).", ex);
        }
        using (source)
        {
            if (!source.IsThick)
                throw new OciException(ErrorCodes.InvalidArchiveBaseline, $"The baseline '{full}' is an OCI archive, not a thick archive: give the previous thick archive, its .index.json or its checksums.sha256.");
            string sha256;
            using (var stream = ArchiveParts.Open(full).OpenRead()) sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
            return FromIndex(full, ArchiveIndex.Of(source, sha256, ArchiveParts.Open(full).Length, cancellationToken));
        }
    }

    private static ArchiveBaseline FromIndex(string path, ArchiveIndex index) =>
        new(path, new DeltaBaseline { Archive = index.Archive, Sha256 = index.Sha256, Bundle = index.Bundle },
            index.Blobs.ToDictionary(b => Digest.Parse(b.Digest), b => (IReadOnlySet<string>?)b.Repositories.ToHashSet(StringComparer.Ordinal)));

    /// <summary>sha256sum lines of an archive's files: its layout's blobs are named by their digests.</summary>
    private static ArchiveBaseline FromChecksums(string path)
    {
        var blobs = new Dictionary<Digest, IReadOnlySet<string>?>();
        try
        {
            if (new FileInfo(path).Length > 64L << 20) throw new InvalidDataException("larger than 64 MiB");
            var lines = File.ReadAllText(path, Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var line in lines)
            {
                var match = ChecksumLine().Match(line);
                if (!match.Success) throw new InvalidDataException($"'{(line.Length > 80 ? line[..80] + "..." : line)}' is not a sha256sum line of a thick archive");
                if (match.Groups[1].Success) blobs[Digest.Parse("sha256:" + match.Groups[1].Value)] = null;
            }
            if (blobs.Count == 0) throw new InvalidDataException("it lists no blob of artifacts/layout");
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new OciException(ErrorCodes.DamagedArchiveBaseline, $"The baseline checksum file '{path}' cannot be used: {ex.Message}.", ex);
        }
        return new ArchiveBaseline(path, new DeltaBaseline { Archive = "" }, blobs);
    }

    [GeneratedRegex(@"^[0-9a-f]{64}  \./(?:artifacts/layout/blobs/sha256/([0-9a-f]{64})|\S.*)$")]
    private static partial Regex ChecksumLine();
}
