namespace Oci.Build.IO;

/// <summary>
/// Folders only their owner can enter (0700 on Unix; the content store's blobs inside are 0400, see <see cref="SealedFile"/>): where plaintext of layers that get encrypted may
/// live (the layer cache, decryption scratch, the plaintext layout of an encrypted build). Other users of the machine
/// must not read what the image's recipients alone may decrypt. No-ops on Windows, where ACLs of the profile apply.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> (and missing parents) as 0700, and narrows it to 0700 if it already exists.</summary>
    public static string CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }
        Directory.CreateDirectory(path, FolderMode);
        if ((File.GetUnixFileMode(path) & ~FolderMode) != 0) File.SetUnixFileMode(path, FolderMode);
        return path;
    }
}
