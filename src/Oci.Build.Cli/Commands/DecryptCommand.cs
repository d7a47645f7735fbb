using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Decrypts an encrypted layout or archive into a plain layout with private keys (<c>--key FILE[:pass=PASSPHRASE]</c>,
/// repeatable: PEM/DER/JWK, OpenPGP secret keys, PKCS7 key and certificate, <c>provider:NAME</c>).
/// The HMAC of every layer is verified before any plaintext is written.
/// </summary>
public sealed class DecryptCommand : ICommand
{
    public string Name => "decrypt";
    public string Usage => "decrypt oci:DIR | oci-archive:FILE | DIR -o OUTPUT_LAYOUT --key KEYFILE[:pass=...] [--key ...]";
    public string Summary => "Turn an encrypted image back into the plain one (byte-identical to the unencrypted build).";

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        arguments.ExpectOnly(1, "-o", "--output", "--key");
        var destination = arguments.Single("-o", "--output") ?? throw new UsageException("Missing -o OUTPUT_LAYOUT.");
        var keys = arguments.All("--key");
        if (keys.Count == 0) throw new UsageException("Give at least one --key.");
        using var source = ImageSource.Open(arguments.Positional(0, "the encrypted layout or archive"));
        var context = new KeyWrapContext { BaseDirectory = Environment.CurrentDirectory };
        var result = new LayoutDecryptor(log).Decrypt(new LayoutDecryptionRequest
        {
            SourceLayout = source.AsLayoutDirectory().Root,
            DestinationLayout = Path.GetFullPath(destination),
            Keys = DecryptionKeySet.Load(keys, context),
        });
        output.WriteLine($"decrypted {result.DecryptedLayers} layer(s) into {result.LayoutPath}");
        foreach (var (encrypted, plain) in result.Manifests)
            output.WriteLine($"  {encrypted} -> {plain.Digest}");
        return 0;
    }
}
