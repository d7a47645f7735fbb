namespace Oci.Build.IO;

/// <summary>
/// A content-store blob whose bytes were verified and must never change: read-only for its owner (0400) and stamped
/// with a fixed modification time. Sealed files are what layouts hard-link instead of copying.
/// <para>
/// Why both marks: a hard link shares the inode, so a layout file written in place (an editor, a script, a test that
/// tampers with a blob) would change the store's bytes too. 0400 stops an ordinary user's accidental write, but not
/// root's (builds in containers and CI often run as root). Any write, by anyone, moves the modification time off the
/// stamp, so <see cref="IsSealed"/> turns false and the store re-verifies the blob before it trusts or links it again
/// (<see cref="Store.ContentStore.Has"/>). Only a deliberate <c>touch -d</c> after a write defeats it: that is tampering
/// by the store's owner, not an accident.
/// </para>
/// </summary>
public static class SealedFile
{
    /// <summary>The stamp: a time no build writes (builds stamp their own outputs with SOURCE_DATE_EPOCH inside tars, never file times).</summary>
    public static readonly DateTime Stamp = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>0400: the owner reads; nobody writes (without first changing the mode), nobody else reads.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead;

    private const UnixFileMode WriteBits = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>Stamps the file and makes it read-only for its owner (the store is private: 0400, not 0444).</summary>
    public static void Seal(string path)
    {
        File.SetLastWriteTimeUtc(path, Stamp);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, Mode);
    }

    /// <summary>True when the file still carries the seal: not written since it was sealed.</summary>
    public static bool IsSealed(string path) => IsSealed(new FileInfo(path));

    public static bool IsSealed(FileInfo file) =>
        file.Exists && file.LastWriteTimeUtc == Stamp && (OperatingSystem.IsWindows() || (file.UnixFileMode & WriteBits) == 0);
}
