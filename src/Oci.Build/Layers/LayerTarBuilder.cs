namespace Oci.Build.Layers;

/// <summary>
/// Turns a <see cref="LayerSpec"/> into a reproducible tar: entries sorted by path (ordinal), every parent directory
/// written explicitly before its children, modes normalized, one timestamp and one owner for every entry.
/// </summary>
public static class LayerTarBuilder
{
    public static void Write(LayerSpec layer, Stream output, TarSettings settings)
    {
        var entries = WithParents(layer.Entries);
        using var tar = new ReproducibleTarWriter(output, settings.UnixTime, settings.Uid, settings.Gid);
        foreach (var entry in entries)
        {
            switch (entry.Kind)
            {
                case LayerEntryKind.Directory:
                    tar.WriteDirectory(entry.Path, entry.EffectiveMode, entry.Owner);
                    break;
                case LayerEntryKind.Symlink:
                    tar.WriteSymlink(entry.Path, entry.LinkTarget!, entry.EffectiveMode);
                    break;
                default:
                    using (var content = new FileStream(entry.SourcePath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
                        tar.WriteFile(entry.Path, content, entry.Size, entry.EffectiveMode);
                    break;
            }
        }
        tar.Finish();
    }

    /// <summary>The entries in tar order, with an explicit entry for every parent directory that was not given.</summary>
    public static IReadOnlyList<LayerEntry> WithParents(IEnumerable<LayerEntry> given)
    {
        var byPath = new Dictionary<string, LayerEntry>(StringComparer.Ordinal);
        foreach (var entry in given)
        {
            if (!byPath.TryAdd(entry.Path, entry))
                throw new InvalidOperationException($"The path '{entry.Path}' is in the layer twice.");
        }
        foreach (var path in byPath.Keys.ToList())
        {
            for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
            {
                var parent = path[..slash];
                if (!byPath.TryAdd(parent, new LayerEntry { Path = parent, Kind = LayerEntryKind.Directory }))
                {
                    if (byPath[parent].Kind != LayerEntryKind.Directory)
                        throw new InvalidOperationException($"'{parent}' is a file but '{path}' needs it to be a directory.");
                    break;
                }
            }
        }
        // Sort by path with '/' ordering before any other character, so a directory's children follow it directly.
        return byPath.Values.OrderBy(e => e.Path.Replace('/', '\0'), StringComparer.Ordinal).ToList();
    }
}

/// <summary>What every tar entry shares: the one timestamp (seconds since the epoch) and the owner.</summary>
public sealed record TarSettings(long UnixTime, int Uid = 0, int Gid = 0);
