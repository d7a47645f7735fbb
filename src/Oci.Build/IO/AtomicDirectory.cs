namespace Oci.Build.IO;

/// <summary>Swapping finished output into place so readers see the old version or the new one, never a half-written mix.</summary>
public static class AtomicDirectory
{
    /// <summary>Moves <paramref name="staged"/> to <paramref name="destination"/>, replacing (and then deleting) whatever was there.</summary>
    public static void Replace(string staged, string destination)
    {
        if (!Directory.Exists(destination) && !File.Exists(destination))
        {
            Directory.Move(staged, destination);
            return;
        }
        var parent = Path.GetDirectoryName(destination)!;
        var retired = Path.Combine(parent, $".{Path.GetFileName(destination)}.old-{Guid.NewGuid():N}");
        if (Directory.Exists(destination)) Directory.Move(destination, retired);
        else File.Move(destination, retired);
        try
        {
            Directory.Move(staged, destination);
        }
        catch
        {
            // Put the previous output back: a failed publish must not lose the last good one.
            if (Directory.Exists(retired)) Directory.Move(retired, destination);
            else if (File.Exists(retired)) File.Move(retired, destination);
            throw;
        }
        if (Directory.Exists(retired)) Directory.Delete(retired, recursive: true);
        else File.Delete(retired);
    }

    /// <summary>Moves a finished temporary file over <paramref name="destination"/> (a rename within one directory).</summary>
    public static void ReplaceFile(string staged, string destination) => File.Move(staged, destination, overwrite: true);
}
