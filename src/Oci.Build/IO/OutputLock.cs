using Oci.Build.Oci;

namespace Oci.Build.IO;

/// <summary>
/// A lock across processes on one output (a layout folder), held open exclusively: on Unix .NET takes an advisory
/// <c>flock</c> for <see cref="FileShare.None"/>, which the kernel drops when the process dies, so a killed build never
/// leaves a stale lock. The lock files live in a private folder of the user's temp directory, named by a hash of the
/// output's full path: never beside the output, where they would end up in archives and in folders users own. They
/// stay when released (deleting one would race with the next holder). Two publishes of one project, or two copies into
/// one layout, take turns instead of interleaving.
/// </summary>
public sealed class OutputLock : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private readonly FileStream _handle;

    private OutputLock(FileStream handle) => _handle = handle;

    /// <summary>How long a writer waits for another process's write of the same output before giving up.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    public static OutputLock Acquire(string output, TimeSpan? timeout = null)
    {
        var wait = timeout ?? DefaultTimeout;
        var full = Path.GetFullPath(output).TrimEnd(Path.DirectorySeparatorChar);
        var path = PathFor(full);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                return new OutputLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1));
            }
            catch (IOException) when (File.Exists(path) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(Poll);   // another process is writing this output; it commits or fails soon
            }
            catch (IOException ex) when (File.Exists(path))
            {
                throw new OciException(ErrorCodes.OutputLocked,
                    $"'{full}' has been locked by another process for {wait.TotalSeconds:0} s ({path}). " +
                    "Wait for the other build or copy to finish, or stop it; the lock goes with the process that holds it.", ex);
            }
        }
    }

    /// <summary>The lock file of <paramref name="output"/> (the same for every process of this user).</summary>
    public static string PathFor(string output)
    {
        var full = Path.GetFullPath(output).TrimEnd(Path.DirectorySeparatorChar);
        var directory = PrivateFiles.CreateDirectory(Path.Combine(Path.GetTempPath(), $"oci-build-locks-{Environment.UserName}"));
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)));
        return Path.Combine(directory, hash[..32] + ".lock");
    }

    public void Dispose() => _handle.Dispose();
}
