using System.CommandLine;
using System.Text.Json.Nodes;
using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Decrypts an encrypted layout or archive into a plain layout with private keys (<c>--key FILE[:pass-file=FILE]</c>,
/// repeatable: PEM/DER/JWK, OpenPGP secret keys, PKCS7 key and certificate, <c>provider:NAME</c>).
/// The HMAC of every layer is verified before any plaintext is written.
/// </summary>
public sealed class DecryptCommand : OciCommand
{
    private readonly Argument<string> _image = new("IMAGE") { Description = "The encrypted images: oci:DIR[:TAG], oci-archive:FILE[:TAG] or a layout folder." };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "The plain layout to write (absent, empty, or a layout an earlier decrypt wrote).", HelpName = "OUTPUT_LAYOUT", Required = true,
    };

    private readonly Option<string[]> _keys = new("--key")
    {
        Description = "A private key: KEYFILE[:pass-file=FILE|:pass-env=VAR] (PEM, DER, JWK, OpenPGP, PKCS7) or provider:NAME.",
        HelpName = "KEY", Required = true, Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<bool> _force = new("--force") { Description = "Replace the output even if it holds something else." };

    public DecryptCommand() : base("decrypt", "Turn an encrypted image back into the plain one (byte-identical to the unencrypted build).")
    {
        Arguments.Add(_image);
        Options.Add(_output);
        Options.Add(_keys);
        Options.Add(_force);
    }

    protected override Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var parse = context.Parse;
        var destination = Path.GetFullPath(parse.GetRequiredValue(_output));
        RefuseForeignOutput(destination, parse.GetValue(_force));
        var keys = parse.GetRequiredValue(_keys);
        using var source = ImageSource.Open(parse.GetRequiredValue(_image));
        var result = new LayoutDecryptor(context.Log).Decrypt(new LayoutDecryptionRequest
        {
            SourceLayout = source.AsLayoutDirectory().Root,
            DestinationLayout = destination,
            Keys = DecryptionKeySet.Load(keys, new KeyWrapContext { BaseDirectory = Environment.CurrentDirectory }),
        });
        context.Result(new JsonObject
            {
                ["layout"] = result.LayoutPath,
                ["decryptedLayers"] = result.DecryptedLayers,
                ["manifests"] = new JsonArray(result.Manifests.Select(m => (JsonNode)new JsonObject
                {
                    ["encrypted"] = m.Key.ToString(), ["plain"] = m.Value.Digest.ToString(),
                }).ToArray()),
            },
            [$"decrypted {result.DecryptedLayers} layer(s) into {result.LayoutPath}", .. result.Manifests.Select(m => $"  {m.Key} -> {m.Value.Digest}")]);
        return Task.FromResult(ExitCodes.Success);
    }

    /// <summary>
    /// The output is replaced as a whole, so it must be ours to replace: absent, empty, or an OCI layout (what an
    /// earlier decrypt wrote). Any other folder or a file is someone's data: refused unless --force.
    /// </summary>
    private static void RefuseForeignOutput(string destination, bool force)
    {
        if (force)
        {
            // Asked for: the folder goes first, since the layout writer itself never writes into someone's data.
            if (File.Exists(destination)) File.Delete(destination);
            else if (Directory.Exists(destination) && !Layout.OciLayout.Exists(destination)) Directory.Delete(destination, recursive: true);
            return;
        }
        if (File.Exists(destination))
            throw new OciException(ErrorCodes.OutputNotOurs, $"The output '{destination}' is a file; decrypt writes a layout folder there and would delete it. Choose another -o, or pass --force.");
        if (!Directory.Exists(destination) || !Directory.EnumerateFileSystemEntries(destination).Any()) return;
        if (Layout.OciLayout.Exists(destination)) return;
        throw new OciException(ErrorCodes.OutputNotOurs,
            $"The output folder '{destination}' is not empty and is not an OCI image layout; decrypt would replace everything in it. " +
            "Choose an empty or new folder, or pass --force to replace it.");
    }
}
