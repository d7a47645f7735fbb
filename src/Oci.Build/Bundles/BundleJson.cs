using System.Text.Json;
using System.Text.Json.Serialization;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Bundles;

/// <summary>bundle.json bytes: written canonical (RFC 8785, as cnab-go does), read as hostile input.</summary>
public static class BundleJson
{
    /// <summary>The canonical bytes of a valid bundle; an invalid one is refused (nothing to write).</summary>
    public static byte[] Serialize(CnabBundle bundle)
    {
        BundleValidator.Validate(bundle);
        return CanonicalJson.Serialize(bundle, BundleJsonContext.Default.CnabBundle);
    }

    public static CnabBundle Deserialize(ReadOnlySpan<byte> json, string what)
    {
        if (json.Length > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidBundle, $"The {what} is larger than {OciJson.MaxDocumentSize} bytes: not a bundle.json.");
        try
        {
            return JsonSerializer.Deserialize(json, BundleJsonContext.Default.CnabBundle)
                ?? throw new OciException(ErrorCodes.InvalidBundle, $"The {what} is empty (JSON null).");
        }
        catch (JsonException ex)
        {
            throw new OciException(ErrorCodes.InvalidBundle, $"The {what} is not a CNAB bundle.json: {ex.Message}", ex);
        }
    }

    public static CnabBundle Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OciException(ErrorCodes.InvalidBundle, $"Cannot read the bundle '{path}': {ex.Message}", ex);
        }
        return Deserialize(bytes, $"bundle '{path}'");
    }

    /// <summary>Writes the canonical bundle whole or not at all (temporary file, then rename).</summary>
    public static byte[] Write(CnabBundle bundle, string path)
    {
        var bytes = Serialize(bundle);
        WriteWhole(path, bytes);
        return bytes;
    }

    /// <summary>Writes a file whole or not at all: a temporary file beside it, then a rename over it.</summary>
    internal static void WriteWhole(string path, byte[] bytes)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(temp, bytes);
            AtomicFile.ReplaceFile(temp, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new OciException(ErrorCodes.BundleWriteFailed, $"Cannot write '{path}': {ex.Message}", ex);
        }
    }
}
