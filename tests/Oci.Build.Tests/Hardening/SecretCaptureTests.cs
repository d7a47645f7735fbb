using System.Text;
using Oci.Build.Tests.Encryption;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Hardening;

/// <summary>
/// Secrets in play, every log captured: a push with registry credentials (token auth, so a bearer token is issued too) and
/// a decryption with a passphrase-protected OpenPGP key, both run by `dotnet msbuild` at diagnostic verbosity with a binary
/// log. Neither the password, its Basic encoding, an issued token, the passphrase nor the private key's bytes may appear
/// in the console output, the diagnostic file log, or the binary log (replayed to text, which is how people read it).
/// The secrets come the ways the docs recommend: the registry login from a docker config file (what `docker login` or a
/// CI's login step writes) and the passphrase from a file. MSBuild itself writes every environment variable into
/// diagnostic and binary logs, so environment variables (DOTNET_CONTAINER_REGISTRY_PWORD, <c>pass-env=</c>) are documented
/// as unsafe there (docs/registry.md, docs/encryption.md); nothing Oci.Build does can keep them out.
/// </summary>
[Collection("Publish")]
public sealed class SecretCaptureTests
{
    private const string Passphrase = "pass-phrase-7Qz-never-logged";

    [Fact]
    public void Credentials_tokens_passphrases_and_keys_never_reach_the_console_the_diagnostic_log_or_the_binary_log()
    {
        using var temp = new TempDirectory("secrets");
        var users = new Dictionary<string, string>(RegistryServer.Users);
        using var tokens = new TokenServer(temp.Path, users, (user, _, requested) => user == "ci" ? requested.ToList() : []);
        using var registry = new RegistryServer(RegistryServer.AuthMode.Token, tokens);
        var image = TestImage.Build(temp);
        var gpg = Tools.Gpg(temp, "ops", Passphrase);
        var encrypted = Engine.Encrypt(image, temp, ["pgp:" + gpg.PublicArmored]);
        using var sample = new SampleProject();
        var password = RegistryServer.Users["ci"];
        var dockerConfig = Directory.CreateDirectory(temp.Combine("docker")).FullName;
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"ci:{password}"));
        File.WriteAllText(Path.Combine(dockerConfig, "config.json"), System.Text.Json.JsonSerializer.Serialize(
            new Dictionary<string, object> { ["auths"] = new Dictionary<string, object> { [registry.Host] = new Dictionary<string, string> { ["auth"] = auth } } }));
        var passphraseFile = temp.Combine("passphrase.txt");
        File.WriteAllText(passphraseFile, Passphrase + "\n");
        File.SetUnixFileMode(passphraseFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_CONTAINER_REGISTRY_UNAME"] = null,
            ["DOTNET_CONTAINER_REGISTRY_PWORD"] = null,
            ["DOCKER_CONFIG"] = dockerConfig,
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };

        var logs = new List<(string Name, string Text)>();
        void Msbuild(string name, params string[] arguments)
        {
            var diagnostic = temp.Combine(name + ".diag.log");
            var binary = temp.Combine(name + ".binlog");
            var run = ProcessRunner.Run("dotnet", ["msbuild", sample.ProjectFile, "-nodeReuse:false", "-v:diag", $"-flp:v=diag;logfile={diagnostic}", $"-bl:{binary}", .. arguments],
                sample.Directory, environment).EnsureSuccess(name);
            var replayed = temp.Combine(name + ".replayed.log");
            ProcessRunner.Run("dotnet", ["msbuild", binary, "-noconlog", $"-flp:v=diag;logfile={replayed}"], temp.Path).EnsureSuccess("replay " + name);
            logs.Add(($"{name} console", run.Output));
            logs.Add(($"{name} diagnostic log", File.ReadAllText(diagnostic)));
            logs.Add(($"{name} binary log", File.ReadAllText(replayed)));
        }

        Msbuild("push", "-t:OciPushLayout", $"-p:ContainerImageLayoutPath={encrypted}", $"-p:ContainerRegistry={registry.Host}",
            "-p:ContainerRepository=x/secret", "-p:ContainerImageTag=1");
        Msbuild("decrypt", "-t:OciDecryptLayout", $"-p:ContainerDecryptSource={encrypted}", $"-p:ContainerDecryptOutput={temp.Combine("plain")}",
            $"-p:ContainerDecryptionKeys={gpg.SecretBinary}:pass-file={passphraseFile}");

        // The runs did what they say, so the logs are of real work with the secrets in use.
        Assert.Contains(logs, l => l.Text.Contains($"Pushed {registry.Host}/x/secret:1"));
        Assert.True(File.Exists(temp.Combine("plain", "index.json")));
        Assert.Contains(passphraseFile, string.Concat(logs.Select(l => l.Text))); // the file's name may show; its content never

        var secrets = new Dictionary<string, string>
        {
            ["registry password"] = password,
            ["Basic credentials"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"ci:{password}")),
            ["passphrase"] = Passphrase,
            ["a bearer token (JWT)"] = "eyJ",
            // A run of the secret keyring's bytes as base64 and as they would appear armored.
            ["the private key"] = Convert.ToBase64String(File.ReadAllBytes(gpg.SecretBinary).AsSpan(64, 48)),
        };
        foreach (var (logName, text) in logs)
        foreach (var (secretName, secret) in secrets)
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"the {secretName} appears in the {logName}");
    }
}
