namespace Oci.Build.IO;

/// <summary>Finished files swapped into place: readers see the old version or the new one, never a half-written mix (layouts: <see cref="Layout.OciLayoutWriter"/>).</summary>
public static class AtomicFile
{
    /// <summary>Moves a finished temporary file over <paramref name="destination"/> (a rename within one directory).</summary>
    public static void ReplaceFile(string staged, string destination) => File.Move(staged, destination, overwrite: true);
}
