using System.Formats.Tar;
using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Layout;

/// <summary>
/// An OCI archive: a tar of an image layout (what <c>skopeo copy oci-archive:</c> and <c>podman load</c> read).
/// Written reproducibly; read as hostile input (only the layout's own files, no links, no paths outside).
/// </summary>
public static class OciArchive
{
    /// <summary>Archives a layout directory into <paramref name="archivePath"/> (via a temporary file, replaced atomically).</summary>
    /// <param name="imageName">
    /// When given (e.g. <c>contoso/orders</c>), the archive's index.json holds one entry per image, named with the full
    /// reference of its first tag (<c>contoso/orders:1.0</c>). Loaders that take the whole archive (<c>podman load</c>)
    /// refuse an index with several entries, even for one image under several tags, and name what they load from that
    /// annotation. Without it, index.json is copied as it is.
    /// </param>
    public static void Write(string layoutDirectory, string archivePath, long unixTime = 0, string? imageName = null)
    {
        var layout = OciLayout.Open(layoutDirectory);
        var full = Path.GetFullPath(archivePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var indexFile = Path.Combine(layout.Root, OciLayout.IndexFileName);
        string? rewrittenIndex = null;
        if (imageName is not null)
        {
            rewrittenIndex = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.index.json");
            File.WriteAllBytes(rewrittenIndex, OciJson.Serialize(OneEntryPerImage(layout.Index, imageName)));
            indexFile = rewrittenIndex;
        }
        var entries = new List<LayerEntry>
        {
            LayerEntry.FromFile(OciLayout.LayoutFileName, Path.Combine(layout.Root, OciLayout.LayoutFileName)),
            LayerEntry.FromFile(OciLayout.IndexFileName, indexFile),
        };
        var blobs = Path.Combine(layout.Root, OciLayout.BlobsDirectoryName);
        foreach (var file in Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories))
            entries.Add(LayerEntry.FromFile(Path.GetRelativePath(layout.Root, file), file) with { Executable = false });

        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                LayerTarBuilder.Write(new LayerSpec("oci-archive", entries), output, new TarSettings(unixTime));
            AtomicFile.ReplaceFile(temp, full);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        finally
        {
            if (rewrittenIndex is not null) File.Delete(rewrittenIndex);
        }
    }

    private static ImageIndex OneEntryPerImage(ImageIndex index, string imageName) => index with
    {
        Manifests = index.Manifests
            .GroupBy(m => m.Digest)
            .Select(g => g.First() is var first && first.Annotation(AnnotationKeys.RefName) is { } tag && !tag.Contains(':') && !tag.Contains('/')
                ? first.WithAnnotation(AnnotationKeys.RefName, $"{imageName}:{tag}")
                : g.First())
            .ToList(),
    };

    /// <summary>
    /// Extracts an OCI archive into <paramref name="destination"/> (which must not exist yet) and opens it as a layout.
    /// Blob contents are verified later, when they are read through <see cref="OciLayout.OpenBlob"/>.
    /// </summary>
    public static OciLayout Extract(string archivePath, string destination, long maxTotalBytes = 64L << 30)
    {
        if (!File.Exists(archivePath))
            throw new OciException(ErrorCodes.InvalidLayout, $"The OCI archive '{archivePath}' does not exist.");
        Directory.CreateDirectory(destination);
        long total = 0;
        try
        {
            using var input = File.OpenRead(archivePath);
            using var reader = new TarReader(input);
            while (reader.GetNextEntry() is { } entry)
            {
                var name = SafeName(entry.Name, archivePath);
                if (name is null) continue; // the root itself ("./")
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        RefuseClash(Path.Combine(destination, name), entry.Name, archivePath, expectDirectory: true);
                        Directory.CreateDirectory(Path.Combine(destination, name));
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        total += entry.Length;
                        if (total > maxTotalBytes)
                            throw new OciException(ErrorCodes.UnsafeArchiveEntry, $"'{archivePath}' unpacks to more than {maxTotalBytes} bytes; refusing it.");
                        var target = Path.Combine(destination, name);
                        RefuseClash(Path.GetDirectoryName(target)!, entry.Name, archivePath, expectDirectory: true);
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        RefuseClash(target, entry.Name, archivePath, expectDirectory: false);
                        if (File.Exists(target))
                            throw new OciException(ErrorCodes.UnsafeArchiveEntry,
                                $"'{archivePath}' contains '{entry.Name}' twice; an archive whose later entry would replace an earlier one is refused.");
                        using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
                            entry.DataStream?.CopyTo(output);
                        break;
                    default:
                        throw new OciException(ErrorCodes.UnsafeArchiveEntry,
                            $"'{archivePath}' contains '{entry.Name}' of type {entry.EntryType}; an OCI archive holds only files and directories.");
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException or OverflowException or ArgumentException or NotSupportedException)
        {
            throw new OciException(ErrorCodes.InvalidLayout, $"'{archivePath}' is not a readable tar archive: {ex.Message}", ex);
        }
        return OciLayout.Open(destination);
    }

    /// <summary>
    /// A file and a folder of the same name (<c>blobs/sha256</c> as a file, then <c>blobs/sha256/…</c>; or the other
    /// way round) cannot both be extracted: refused as unsafe, instead of failing on the file system with an IOException.
    /// Every ancestor is checked, since a file may sit where any parent folder belongs.
    /// </summary>
    private static void RefuseClash(string path, string entryName, string archivePath, bool expectDirectory)
    {
        for (var current = path; current is not null && current.Length > 0; current = Path.GetDirectoryName(current))
        {
            var isFile = File.Exists(current);
            var isDirectory = Directory.Exists(current);
            var clash = current == path ? (expectDirectory ? isFile : isDirectory) : isFile;
            if (clash)
                throw new OciException(ErrorCodes.UnsafeArchiveEntry,
                    $"'{archivePath}' contains '{entryName}' where a {(isFile ? "file" : "folder")} of the same name already is; refusing the archive.");
            if (isDirectory && current != path) return; // an existing folder: its own ancestors were checked when it was made
        }
    }

    /// <summary>The layout-relative name of an archive entry; null for the root; throws for anything that has no place in a layout.</summary>
    internal static string? SafeName(string name, string archivePath)
    {
        var trimmed = name.Replace('\\', '/');
        while (trimmed.StartsWith("./", StringComparison.Ordinal)) trimmed = trimmed[2..];
        trimmed = trimmed.TrimEnd('/');
        if (trimmed.Length == 0 || trimmed == ".") return null;
        var segments = trimmed.Split('/');
        var allowed = trimmed is OciLayout.LayoutFileName or OciLayout.IndexFileName
            || (segments[0] == OciLayout.BlobsDirectoryName && segments.Length <= 3 && segments.Skip(1).All(IsPlainSegment));
        if (trimmed.StartsWith('/') || segments.Contains("..") || !allowed)
            throw new OciException(ErrorCodes.UnsafeArchiveEntry, $"'{archivePath}' contains '{name}', which has no place in an OCI image layout; refusing the archive.");
        return trimmed;
    }

    private static bool IsPlainSegment(string segment) => segment.Length is > 0 and <= 128 && segment.All(char.IsAsciiLetterOrDigit);
}
