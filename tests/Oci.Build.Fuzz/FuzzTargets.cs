using System.Text;
using Oci.Build.Bundles;
using Oci.Build.Encryption.Cipher;
using Oci.Build.Encryption.KeyWrap.Pkcs7;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry.Config;
using Oci.Build.Registry.Delegation;

namespace Oci.Build.Fuzz;

/// <summary>
/// One entry per reader of outside input (issue 13): bytes in, and the only acceptable ways out are a result or an
/// <see cref="OciException"/> (a coded refusal). Any other exception, a hang, a stack overflow or runaway memory is a
/// finding. Every reader is called the way the product calls it.
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["reference"] = Reference,
        ["documents"] = Documents,
        ["archive"] = Archive,
        ["ber"] = Ber,
        ["registries-conf"] = input => Refused(() => RegistriesConf.Parse(Text(input))),
        ["hosts-toml"] = input => Refused(() => HostsToml.Parse(Text(input), "registry.example")),
        ["delegation"] = input => Refused(() => DelegationDocument.Parse(input, "example.com")),
    };

    /// <summary>Runs <paramref name="action"/>; a coded refusal is a fine outcome, anything else escapes.</summary>
    private static void Refused(Action action)
    {
        try
        {
            action();
        }
        catch (OciException)
        {
        }
    }

    /// <summary>
    /// For the encryption readers, whose refusal is a <see cref="FormatException"/> that their one caller
    /// (LayoutDecryptor) turns into a coded error naming the layer.
    /// </summary>
    private static void RefusedAsFormat(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is OciException or FormatException)
        {
        }
    }

    private static string Text(byte[] input) => Encoding.UTF8.GetString(input);

    private static void Reference(byte[] input)
    {
        var text = Text(input);
        ImageReference.TryParse(text, out _, out _);
        Digest.TryParse(text, out _);
        Refused(() => ImageLocation.Parse(text, "/nonexistent", bareRegistryReferences: true));
        Refused(() => RelocationTarget.Parse(text));
    }

    private static void Documents(byte[] input)
    {
        Refused(() => OciJson.Deserialize<ImageManifest>(input, "fuzz manifest"));
        Refused(() => OciJson.Deserialize<ImageIndex>(input, "fuzz index"));
        Refused(() => BundleJson.Deserialize(input, "fuzz bundle"));
        RefusedAsFormat(() => PublicLayerOptions.Parse(input));
        RefusedAsFormat(() => PrivateLayerOptions.Parse(input));
    }

    private static void Ber(byte[] input)
    {
        RefusedAsFormat(() => BerNode.Parse(input));
        RefusedAsFormat(() => EnvelopedData.Parse(input));
    }

    /// <summary>An OCI archive or a thick archive, read in place and verified as `dotnet oci verify` does.</summary>
    private static void Archive(byte[] input)
    {
        var path = Path.Combine(Path.GetTempPath(), $"oci-fuzz-{Guid.NewGuid():N}.tar");
        File.WriteAllBytes(path, input);
        try
        {
            Refused(() =>
            {
                using var source = ArchiveSource.Open(path);
                ImageVerifier.VerifyAsync(source, source.Index.Manifests).GetAwaiter().GetResult();
            });
        }
        finally
        {
            File.Delete(path);
        }
    }
}
