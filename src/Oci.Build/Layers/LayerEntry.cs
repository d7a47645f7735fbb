namespace Oci.Build.Layers;

public enum LayerEntryKind { File, Directory, Symlink }

/// <summary>
/// One path in a layer. <see cref="Path"/> is relative to the image root with forward slashes and no leading slash
/// (<c>app/HelloOci.dll</c>). Files name their <see cref="SourcePath"/> on disk; the bytes are read only when the layer is written.
/// </summary>
public sealed record LayerEntry
{
    public required string Path { get; init; }
    public required LayerEntryKind Kind { get; init; }
    public string? SourcePath { get; init; }
    public long Size { get; init; }
    /// <summary>Last write time of the source (UTC ticks): part of the cache selector, never written into the tar.</summary>
    public long SourceModifiedTicks { get; init; }
    public bool Executable { get; init; }
    public string? LinkTarget { get; init; }
    /// <summary>An explicit mode (e.g. 01777 for /tmp); when null, files get 0644 or 0755 and directories 0755.</summary>
    public int? Mode { get; init; }
    /// <summary>Directories only: an owner other than root, for folders the running app must write (see <see cref="WritableDirectory"/>).</summary>
    public (int Uid, int Gid)? Owner { get; init; }

    public int EffectiveMode => Mode ?? Kind switch
    {
        LayerEntryKind.Directory => 0b111_101_101,
        LayerEntryKind.Symlink => 0b111_111_111,
        _ => Executable ? 0b111_101_101 : 0b110_100_100,
    };

    /// <summary>A regular file from disk, with size, time and executable bit read from it now.</summary>
    public static LayerEntry FromFile(string imagePath, string sourcePath)
    {
        var info = new FileInfo(sourcePath);
        if (!info.Exists)
            throw new FileNotFoundException($"'{sourcePath}' does not exist.", sourcePath);
        var executable = !OperatingSystem.IsWindows() && (info.UnixFileMode & UnixFileMode.UserExecute) != 0;
        return new LayerEntry
        {
            Path = NormalizePath(imagePath),
            Kind = LayerEntryKind.File,
            SourcePath = info.FullName,
            Size = info.Length,
            SourceModifiedTicks = info.LastWriteTimeUtc.Ticks,
            Executable = executable,
        };
    }

    /// <summary>Turns <c>/app\x/y.dll</c> or <c>./app/x</c> into <c>app/x/y.dll</c>; refuses <c>..</c> segments.</summary>
    public static string NormalizePath(string path)
    {
        var segments = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Length == 0 || segments.Contains(".."))
            throw new ArgumentException($"'{path}' is not a valid path inside an image.", nameof(path));
        return string.Join('/', segments);
    }
}

/// <summary>A named layer to build: its entries (files and explicit directories; parents are added when written).</summary>
public sealed record LayerSpec(string Name, IReadOnlyList<LayerEntry> Entries)
{
    public bool IsEmpty => Entries.Count == 0;
}
