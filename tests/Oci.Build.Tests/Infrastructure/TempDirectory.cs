namespace Oci.Build.Tests.Infrastructure;

/// <summary>A fresh directory under the system temp folder, deleted when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string? prefix = null)
    {
        // Short: tools put Unix sockets below it (gpg-agent's, containerd's), and a socket path has at most 107 characters.
        var stem = prefix ?? "t";
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "oci-build-tests", $"{stem[..Math.Min(16, stem.Length)]}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        // A process a test started (an MSBuild node, a registry) may still be writing below the folder for a moment, which
        // makes a recursive delete fail half-way; a few more tries leave nothing behind. eng/test.sh removes the run's
        // whole temp folder at the end in any case.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(200 * attempt);
            }
            catch (IOException)
            {
                return;
            }
        }
    }
}
