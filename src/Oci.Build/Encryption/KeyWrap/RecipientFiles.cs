using Oci.Build.Oci;

namespace Oci.Build.Encryption.KeyWrap;

/// <summary>Reading a recipient's key file with an error that names the recipient.</summary>
public static class RecipientFiles
{
    public static byte[] Read(string path, string recipient)
    {
        try
        {
            if (Directory.Exists(path))
                throw new OciException(ErrorCodes.KeyFileUnreadable, $"Encryption recipient '{recipient}': '{path}' is a directory, not a key file.");
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OciException(ErrorCodes.KeyFileUnreadable, $"Encryption recipient '{recipient}': cannot read '{path}': {ex.Message}", ex);
        }
    }
}
