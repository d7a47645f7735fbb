using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>
/// A real CNCF distribution registry (<c>docker-registry serve</c>) on 127.0.0.1 with a free port and filesystem storage
/// in a temp folder: anonymous, htpasswd, or token auth, optionally TLS. Its log (with the access log) is captured.
/// </summary>
public sealed class RegistryServer : IDisposable
{
    /// <summary>bcrypt hashes (htpasswd -B) of the fixed test passwords in <see cref="Users"/>, so no htpasswd tool is needed.</summary>
    private static readonly Dictionary<string, string> BcryptHashes = new()
    {
        ["alice"] = "$2y$05$HLxR7Wy9Uv6tOALPIJ7jYet4fU2Sc2EPnDLdPxtPRyq79HbtdV6LS",
        ["bob"] = "$2y$05$NZWlNtUltiqGxY/TneZnqOUH/fEa5csXcm3mZCAR6owSRH2a5BSv2",
        ["ci"] = "$2y$05$agTET3O1j9xZM50W38IAP.cLbS.bikXUVGxAheJ0aiNF8P7YupZRG",
    };

    /// <summary>Test users and passwords (the passwords are what the tests check never appear in logs).</summary>
    public static readonly Dictionary<string, string> Users = new()
    {
        ["alice"] = "alice-secret-7Q",
        ["bob"] = "bob-secret-9Z",
        ["ci"] = "ci-secret-4K",
    };

    private readonly TempDirectory _root;
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public enum AuthMode { Anonymous, Htpasswd, Token }

    public RegistryServer(AuthMode auth = AuthMode.Anonymous, TokenServer? tokens = null, (string Cert, string Key)? tls = null)
    {
        _root = new TempDirectory("registry");
        Port = FreePort.Next();
        StorageRoot = _root.Combine("storage");
        var config = new StringBuilder($"""
            version: 0.1
            log:
              level: info
              formatter: text
            storage:
              filesystem:
                rootdirectory: {StorageRoot}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: 127.0.0.1:{Port}
              secret: oci-build-test-secret

            """);
        if (tls is { } t)
            config.Append($"""
                  tls:
                    certificate: {t.Cert}
                    key: {t.Key}

                """);
        switch (auth)
        {
            case AuthMode.Htpasswd:
                var htpasswd = _root.Combine("htpasswd");
                File.WriteAllLines(htpasswd, BcryptHashes.Select(u => $"{u.Key}:{u.Value}"));
                config.Append($"""
                    auth:
                      htpasswd:
                        realm: oci-build-test
                        path: {htpasswd}

                    """);
                break;
            case AuthMode.Token:
                ArgumentNullException.ThrowIfNull(tokens);
                config.Append($"""
                    auth:
                      token:
                        realm: {tokens.Realm}
                        service: {TokenServer.Service}
                        issuer: {TokenServer.Issuer}
                        rootcertbundle: {tokens.CertificateBundle}

                    """);
                break;
        }
        var configFile = _root.Combine("config.yml");
        File.WriteAllText(configFile, config.ToString());

        var info = new ProcessStartInfo("docker-registry") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(configFile);
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilListening();
    }

    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public string StorageRoot { get; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>The log written since <paramref name="from"/>, once it mentions <paramref name="text"/> (the registry logs asynchronously).</summary>
    public string WaitForLog(string text, int from)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var log = Log[from..];
            if (log.Contains(text, StringComparison.Ordinal) || DateTime.UtcNow > deadline) return log;
            Thread.Sleep(20);
        }
    }

    /// <summary>The file holding a blob's bytes in the registry's storage (to corrupt it on purpose).</summary>
    public string BlobDataPath(global::Oci.Build.Oci.Digest digest) =>
        Path.Combine(StorageRoot, "docker", "registry", "v2", "blobs", digest.Algorithm, digest.Hex[..2], digest.Hex, "data");

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode}:\n{Log}");
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        throw new TimeoutException($"docker-registry did not listen on {Port}:\n{Log}");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        _root.Dispose();
    }
}
