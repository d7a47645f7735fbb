using System.Diagnostics;
using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Registry.Auth;

/// <summary>
/// Runs a docker credential helper (<c>docker-credential-NAME get</c>, server URL on standard input, JSON on standard
/// output). Its output is a secret: it is parsed, never logged, and never quoted in an error.
/// </summary>
public sealed class CredentialHelper(string name, TimeSpan? timeout = null)
{
    public string Name { get; } = name;

    public string Program => "docker-credential-" + Name;

    public RegistryCredential? Get(string serverUrl)
    {
        var info = new ProcessStartInfo(Program, "get")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new OciException(ErrorCodes.CredentialHelperFailed,
                $"The docker config names the credential helper '{Name}', but '{Program}' could not be started ({ex.Message}). Install it or remove it from config.json.");
        }
        using (process)
        {
            process.StandardInput.Write(serverUrl);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
                throw new OciException(ErrorCodes.CredentialHelperFailed, $"'{Program} get' did not answer within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:F0} s.");
            }
            if (process.ExitCode != 0)
            {
                // The protocol's "not found" answer is not an error: the host simply has no stored credential.
                var message = (output.Result + error.Result).Trim();
                if (message.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
                throw new OciException(ErrorCodes.CredentialHelperFailed, $"'{Program} get' failed with exit code {process.ExitCode} for {serverUrl}.");
            }
            try
            {
                using var json = JsonDocument.Parse(output.Result);
                var user = json.RootElement.TryGetProperty("Username", out var u) ? u.GetString() : null;
                var secret = json.RootElement.TryGetProperty("Secret", out var s) ? s.GetString() : null;
                if (string.IsNullOrEmpty(secret)) return null;
                return RegistryCredential.FromUserAndSecret(user ?? "", secret, $"credential helper {Program}");
            }
            catch (JsonException)
            {
                throw new OciException(ErrorCodes.CredentialHelperFailed, $"'{Program} get' did not print the JSON credential the helper protocol requires.");
            }
        }
    }
}
