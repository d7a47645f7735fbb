using Oci.Build.Oci;

namespace Oci.Build.Layers;

/// <summary>
/// A folder the running app must be able to write (uploads, caches, data). Everything else the image adds is owned by
/// root and read-only for the app's user, so a compromised app cannot rewrite its own code; these folders are the
/// deliberate exceptions, owned by the app's user with mode 0755.
/// </summary>
/// <param name="Path">Absolute in the image, or relative to the working directory.</param>
public sealed record WritableDirectory(string Path, int Uid, int Gid)
{
    /// <summary>
    /// The owner as <c>uid</c> or <c>uid:gid</c>; when empty, the image's numeric user (<c>ContainerUser</c>). Names are
    /// refused: resolving them would need the base image's /etc/passwd, and a wrong guess would silently leave the folder unwritable.
    /// </summary>
    public static WritableDirectory Parse(string path, string? owner, string? user)
    {
        var value = string.IsNullOrWhiteSpace(owner) ? user : owner;
        var parts = (value ?? "").Trim().Split(':');
        if (string.IsNullOrWhiteSpace(path) || parts.Length > 2 || !TryId(parts[0], out var uid) || !TryId(parts[^1], out var gid))
            throw new OciException(ErrorCodes.WritableDirectoryOwner,
                $"ContainerWritableDirectory '{path}' needs a numeric owner: set ContainerUser to a uid (e.g. 1654) or give the item Owner=\"uid[:gid]\" metadata.");
        return new WritableDirectory(path.Trim(), uid, gid);
    }

    private static bool TryId(string text, out int id) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id);

    /// <summary>The layers with these directories added to the last one (the app layer), which wins over earlier layers.</summary>
    public static IReadOnlyList<LayerSpec> AddTo(IReadOnlyList<LayerSpec> plan, IReadOnlyList<WritableDirectory> directories, string workingDirectory)
    {
        if (directories.Count == 0) return plan;
        var entries = directories.Select(d => new LayerEntry
        {
            Path = LayerEntry.NormalizePath(d.Path.StartsWith('/') ? d.Path : $"{workingDirectory.TrimEnd('/')}/{d.Path}"),
            Kind = LayerEntryKind.Directory,
            Owner = (d.Uid, d.Gid),
        }).ToList();
        var last = plan.Count > 0 ? plan[^1] : new LayerSpec(PublishLayerPlanner.AppLayer, []);
        var paths = entries.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var clash in last.Entries.Where(e => paths.Contains(e.Path) && e.Kind != LayerEntryKind.Directory))
            throw new OciException(ErrorCodes.WritableDirectoryOwner, $"ContainerWritableDirectory '/{clash.Path}' is a file of the publish folder, not a folder.");
        var merged = last with { Entries = last.Entries.Where(e => !paths.Contains(e.Path)).Concat(entries).ToList() };
        return plan.Count > 0 ? [.. plan.Take(plan.Count - 1), merged] : [merged];
    }
}
