using System.Runtime.InteropServices;
using Oci.Build.Oci;

namespace Oci.Build.IO;

/// <summary>
/// Opens files of a layout that came from elsewhere: only regular files, never a symbolic link (it could point out of
/// the layout, at /dev/zero or at another user's file), a FIFO (opening one blocks forever) or a device. .NET exposes
/// no file type beyond directory and link, so the type is read with lstat(2) on Linux (glibc 2.33+ exports it).
/// </summary>
public static partial class RegularFile
{
    /// <summary>Opens <paramref name="path"/> for reading when it is a regular file; otherwise a coded error.</summary>
    public static FileStream OpenRead(string path, string what, string errorCode = ErrorCodes.InvalidLayout)
    {
        Check(path, what, errorCode);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    }

    /// <summary>The whole file when it is a regular file of at most <paramref name="limit"/> bytes (checked while reading).</summary>
    public static byte[] ReadAllBytes(string path, int limit, string what, string errorCode = ErrorCodes.InvalidLayout)
    {
        using var stream = OpenRead(path, what, errorCode);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > limit)
                throw new OciException(errorCode, $"{what} is larger than {limit} bytes; refusing it.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public static void Check(string path, string what, string errorCode = ErrorCodes.InvalidLayout)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
            throw new OciException(errorCode, $"{what} is a symbolic link ('{path}'); only regular files inside the layout are read.");
        if (!info.Exists)
            throw new OciException(errorCode, $"{what} is missing or not a file ('{path}').");
        if (TypeOf(path) is { } type && type != RegularType)
            throw new OciException(errorCode, $"{what} is not a regular file ('{path}' is a {Describe(type)}); only regular files are read.");
    }

    private const uint TypeMask = 0xF000, RegularType = 0x8000;

    private static string Describe(uint type) => type switch
    {
        0x1000 => "FIFO",
        0x2000 => "character device",
        0x6000 => "block device",
        0xC000 => "socket",
        0xA000 => "symbolic link",
        0x4000 => "directory",
        _ => "special file",
    };

    /// <summary>The S_IFMT bits of lstat, or null where they cannot be read (then only the managed checks apply).</summary>
    private static uint? TypeOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var offset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,   // st_dev 8, st_ino 8, st_nlink 8, st_mode
            Architecture.Arm64 => 16, // st_dev 8, st_ino 8, st_mode
            _ => -1,
        };
        if (offset < 0) return null;
        var buffer = new byte[256];
        try
        {
            if (Lstat(path, buffer) != 0) return null;
        }
        catch (EntryPointNotFoundException)
        {
            return null; // glibc older than 2.33: no lstat symbol
        }
        return BitConverter.ToUInt32(buffer, offset) & TypeMask;
    }

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Lstat(string path, byte[] buffer);
}
