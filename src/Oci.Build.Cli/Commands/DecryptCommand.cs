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
    public string Usage => "decrypt oci:DIR | oci-archive:FILE | DIR -o OUTPUT_LAYOUT --key KEYFILE[:pass-file=FILE|:pass-env=VAR] [--key ...] [--force]";
    public IReadOnlySet<string> Flags => new HashSet<string>(StringComparer.Ordinal) { "--force" };
    public string Summary => "Turn an encrypted image back into the plain one (byte-identical to the unencrypted build).";

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        arguments.ExpectOnly(1, "-o", "--output", "--key", "--force");
        var destination = Path.GetFullPath(arguments.Single("-o", "--output") ?? throw new UsageException("Missing -o OUTPUT_LAYOUT."));
        RefuseForeignOutput(destination, arguments.Flag("--force"));
        var keys = arguments.All("--key");
        if (keys.Count == 0) throw new UsageException("Give at least one --key.");
        using var source = ImageSource.Open(arguments.Positional(0, "the encrypted layout or archive"));
        var context = new KeyWrapContext { BaseDirectory = Environment.CurrentDirectory };
        var result = new LayoutDecryptor(log).Decrypt(new LayoutDecryptionRequest
        {
            SourceLayout = source.AsLayoutDirectory().Root,
            DestinationLayout = destination,
            Keys = DecryptionKeySet.Load(keys, context),
        });
        output.WriteLine($"decrypted {result.DecryptedLayers} layer(s) into {result.LayoutPath}");
        foreach (var (encrypted, plain) in result.Manifests)
            output.WriteLine($"  {encrypted} -> {plain.Digest}");
        return 0;
    }

    /// <summary>
    /// The output is replaced as a whole, so it must be ours to replace: absent, empty, or an OCI layout (what an
    /// earlier decrypt wrote). Any other folder or a file is someone's data: refused unless --force.
    /// </summary>
    private static void RefuseForeignOutput(string destination, bool force)
    {
        if (force) return;
        if (File.Exists(destination))
            throw new OciException(ErrorCodes.OutputNotOurs, $"The output '{destination}' is a file; decrypt writes a layout folder there and would delete it. Choose another -o, or pass --force.");
        if (!Directory.Exists(destination) || !Directory.EnumerateFileSystemEntries(destination).Any()) return;
        if (Layout.OciLayout.Exists(destination)) return;
        throw new OciException(ErrorCodes.OutputNotOurs,
            $"The output folder '{destination}' is not empty and is not an OCI image layout; decrypt would replace everything in it. " +
            "Choose an empty or new folder, or pass --force to replace it.");
    }
}
