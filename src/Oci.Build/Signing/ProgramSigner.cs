using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>
/// <c>provider:NAME</c>: a key held elsewhere (a KMS, an HSM, a smart card) behind a small program <c>oci-signer-NAME</c>
/// on PATH, as git hands signing to <c>gpg.program</c>. Two commands, nothing else to configure:
/// <list type="bullet">
/// <item><c>oci-signer-NAME public-key</c> writes the PEM public key (P-256) to stdout;</item>
/// <item><c>oci-signer-NAME sign</c> reads the payload on stdin and writes the ECDSA-SHA256 signature to stdout, as DER
/// or base64 of DER (<c>openssl dgst -sha256 -sign KEY | base64 -w0</c> is a complete signer).</item>
/// </list>
/// A program rather than a KMS SDK: the build gets no cloud dependency, any key store works with a few lines of shell,
/// and the private key never enters this process. Every signature is checked against the public key before use.
/// </summary>
public sealed class ProgramSigner : IImageSigner
{
    public const string ProgramPrefix = "oci-signer-";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _program;

    private ProgramSigner(string name, string program, ECDsa publicKey)
    {
        Description = $"provider:{name}";
        _program = program;
        PublicKey = publicKey;
    }

    public string Description { get; }

    public ECDsa PublicKey { get; }

    /// <summary>Finds <c>oci-signer-NAME</c> on PATH and asks it for its public key.</summary>
    /// <param name="searchPath">Directories to look in (PATH's syntax); null: the PATH environment variable.</param>
    public static ProgramSigner Find(string name, string? searchPath = null)
    {
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new OciException(ErrorCodes.SignerFailed, $"ContainerSigningKey 'provider:{name}': '{name}' is not a signer name (letters, digits, '-', '_', '.').");
        var program = (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, ProgramPrefix + name)).FirstOrDefault(File.Exists)
            ?? throw new OciException(ErrorCodes.SignerFailed,
                $"ContainerSigningKey 'provider:{name}': the signer program {ProgramPrefix}{name} is not on PATH. Install it (see docs/trust.md) or sign with a key file.");
        var pem = Encoding.UTF8.GetString(Run(program, name, "public-key", []));
        return new ProgramSigner(name, program, SigningKeys.ParsePublicKey(pem, $"The public key of {ProgramPrefix}{name}"));
    }

    public byte[] SignDer(byte[] payload)
    {
        var output = Run(_program, Description, "sign", payload);
        var text = Encoding.ASCII.GetString(output).Trim();
        // base64 of DER, or DER itself (a DER ECDSA signature starts with SEQUENCE, 0x30).
        if (text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
        {
            try
            {
                return Convert.FromBase64String(text);
            }
            catch (FormatException)
            {
            }
        }
        if (output.Length > 0 && output[0] == 0x30) return output;
        throw new OciException(ErrorCodes.SignerFailed, $"{Description}: {ProgramPrefix}... sign wrote neither a DER signature nor its base64 ({output.Length} bytes).");
    }

    public void Dispose() => PublicKey.Dispose();

    private static byte[] Run(string program, string name, string command, byte[] input)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(command);
        try
        {
            using var process = Process.Start(info) ?? throw new InvalidOperationException("the process did not start");
            using var stdout = new MemoryStream();
            var reading = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                process.StandardInput.BaseStream.Write(input);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The signer exited without reading; its exit code and stderr say why.
            }
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new OciException(ErrorCodes.SignerFailed, $"The signer {program} ({command}) did not answer within {Timeout.TotalSeconds:F0} s.");
            }
            reading.GetAwaiter().GetResult();
            if (process.ExitCode != 0)
                throw new OciException(ErrorCodes.SignerFailed, $"The signer {program} ({command}) failed (exit code {process.ExitCode}): {Truncate(stderr.Result.Trim())}");
            return stdout.ToArray();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new OciException(ErrorCodes.SignerFailed, $"The signer {program} for {name} cannot be started (is it executable?): {ex.Message}", ex);
        }
    }

    private static string Truncate(string text) => text.Length <= 400 ? text : text[..400] + "...";
}
