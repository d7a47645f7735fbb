using System.Runtime.InteropServices;

namespace Oci.Build.IO;

/// <summary>Hard links (.NET has no API for them): a second name for a file's bytes, at the cost of nothing.</summary>
public static partial class HardLink
{
    /// <summary>Links <paramref name="target"/> to <paramref name="existing"/>; false when the platform or file system cannot (then copy).</summary>
    public static bool TryCreate(string existing, string target)
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            return Link(existing, target) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string target);
}
