namespace Oci.Build.Tests.Infrastructure;

/// <summary>A fresh directory under the system temp folder, deleted when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string? prefix = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "oci-build-tests", $"{prefix ?? "t"}-{Guid.NewGuid():N}"[..Math.Min(40, (prefix ?? "t").Length + 33)]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process started by a test may still hold a file for a moment; the temp folder is cleaned by the OS anyway.
        }
    }
}
