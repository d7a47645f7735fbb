using Oci.Build.Tests.Infrastructure;
using System.Text;
using System.Text.RegularExpressions;
using Oci.Build.Oci;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// Podman/skopeo's auth.json next to docker's config.json, against a real htpasswd registry whose log names the user
/// each request authenticated as: which file is read, and which one wins when several know the host.
/// </summary>
public sealed class CredentialFileTests : IDisposable
{
    private readonly RegistryServer _registry = new(RegistryServer.AuthMode.Htpasswd);
    private readonly EngineHarness _harness = new();
    private readonly string _layout;
    private int _pushes;

    public CredentialFileTests()
    {
        _layout = _harness.Combine("base");
        TestImages.Base(_harness.Work, _layout, _harness.Combine("build-cache"), 4 * 1024);
    }

    [Fact]
    public void Auth_json_files_are_read_and_the_documented_precedence_holds()
    {
        var host = _registry.Host;
        var runtimeAuth = _harness.Combine("run", "containers", "auth.json");
        var configAuth = Path.Combine(_harness.Home, ".config", "containers", "auth.json");
        var dockerConfig = Path.Combine(_harness.Home, ".docker", "config.json");
        var explicitAuth = _harness.Combine("explicit", "auth.json");

        // $XDG_RUNTIME_DIR/containers/auth.json (podman login's default).
        _harness.Environment["XDG_RUNTIME_DIR"] = _harness.Combine("run");
        WriteAuth(runtimeAuth, (host, "bob", RegistryServer.Users["bob"]));
        Assert.Equal("bob", PushAndGetUser());

        // ~/.config/containers/auth.json comes after the runtime one, and is used once that is gone.
        WriteAuth(configAuth, (host, "alice", RegistryServer.Users["alice"]));
        Assert.Equal("bob", PushAndGetUser());
        _harness.Environment.Remove("XDG_RUNTIME_DIR");
        Assert.Equal("alice", PushAndGetUser());

        // Docker's config.json comes before podman's default files.
        WriteAuth(dockerConfig, (host, "ci", RegistryServer.Users["ci"]));
        _harness.Environment["XDG_RUNTIME_DIR"] = _harness.Combine("run");
        Assert.Equal("ci", PushAndGetUser());

        // $REGISTRY_AUTH_FILE is an explicit choice: it comes before everything else...
        _harness.Environment["REGISTRY_AUTH_FILE"] = explicitAuth;
        WriteAuth(explicitAuth, (host, "bob", RegistryServer.Users["bob"]));
        Assert.Equal("bob", PushAndGetUser());

        // ...for the hosts it knows: precedence is per host, so a file without this host defers to the next one.
        WriteAuth(explicitAuth, ("other.example.com", "bob", "not-for-this-host-5T"));
        Assert.Equal("ci", PushAndGetUser());

        // A host entry beats a repository-scoped one of the same host (podman writes host/namespace keys), whatever the order.
        WriteAuth(explicitAuth, ($"{host}/someone-else", "bob", "scoped-wrong-password-6U"), (host, "alice", RegistryServer.Users["alice"]));
        Assert.Equal("alice", PushAndGetUser());

        // The first file that knows the host is the one used: a wrong password there is a coded error, not a fallback,
        // and neither the password nor the file's content appears in the message or the log.
        WriteAuth(explicitAuth, (host, "bob", "wrong-password-3X"));
        var refused = Assert.Throws<OciException>(() => _harness.Push(_layout, host, "lib/refused", "1"));
        Assert.Equal(ErrorCodes.RegistryAuthenticationFailed, refused.Code);
        Assert.Contains(explicitAuth, refused.Message);
        foreach (var secret in new[] { "wrong-password-3X", "scoped-wrong-password-6U", "not-for-this-host-5T" }.Concat(RegistryServer.Users.Values))
        {
            Assert.DoesNotContain(secret, refused.Message);
            Assert.DoesNotContain(secret, _harness.Log.Text);
        }
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:wrong-password-3X")), refused.Message + _harness.Log.Text);

        // Malformed content is a coded error that does not quote the file.
        File.WriteAllText(explicitAuth, "{\"auths\": {\"" + host + "\": {\"auth\": \"not base64 at all: s3cr3t-9Q\"}}}");
        var malformed = Assert.Throws<OciException>(() => _harness.Push(_layout, host, "lib/malformed", "1"));
        Assert.Equal(ErrorCodes.RegistryConfigInvalid, malformed.Code);
        Assert.DoesNotContain("s3cr3t-9Q", malformed.Message);
    }

    /// <summary>Pushes to a fresh repository and returns the user the registry says the push authenticated as.</summary>
    private string PushAndGetUser()
    {
        var repository = $"lib/creds{++_pushes}";
        var from = _registry.Log.Length;
        _harness.Push(_layout, _registry.Host, repository, "1");
        var log = _registry.WaitForLog($"/v2/{repository}/manifests/1", from);
        var users = Regex.Matches(log, @"auth\.user\.name=""?([a-z]+)").Select(m => m.Groups[1].Value).Distinct().ToList();
        return Assert.Single(users);
    }

    private static void WriteAuth(string path, params (string Key, string User, string Password)[] entries)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var auths = entries.Select(e => $"\"{e.Key}\": {{\"auth\": \"{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{e.User}:{e.Password}"))}\"}}");
        File.WriteAllText(path, "{\"auths\": {" + string.Join(", ", auths) + "}}");
    }

    public void Dispose()
    {
        _harness.Dispose();
        _registry.Dispose();
    }
}
