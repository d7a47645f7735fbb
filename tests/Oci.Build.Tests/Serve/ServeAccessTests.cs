using System.Net;
using System.Net.Sockets;
using Oci.Build.Cli.Serve;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Serve;

/// <summary>
/// `dotnet oci serve` with TLS (a test CA the clients trust, no verification turned off) and an access file: a Basic user
/// and a bearer token, each pulling only the repositories granted; and bad invocations refused with coded errors.
/// </summary>
public sealed class ServeAccessTests(ServedImages images) : IClassFixture<ServedImages>
{
    private const string Password = "Sunny-Fjord-42";
    private const string Token = "ci-token-7f3a9c1d5e2b8064";

    [Fact]
    public async Task Over_TLS_each_credential_pulls_only_its_granted_repositories_and_no_secret_is_logged()
    {
        using var temp = new TempDirectory("serve-tls");
        var pki = new TestPki(temp.Combine("pki"));
        var (cert, key, _) = pki.IssueServer("server");
        var certDirectory = temp.Combine("certs");
        Directory.CreateDirectory(certDirectory);
        File.Copy(pki.CaFile, Path.Combine(certDirectory, "ca.crt")); // skopeo --src-cert-dir: every *.crt is a trusted CA
        var accessFile = temp.Combine("access.json");
        File.WriteAllText(accessFile, $$"""
            { "users": [ { "name": "site", "password": "{{Password}}", "pull": ["tools/*"] } ],
              "tokens": [ { "name": "ci", "token": "{{Token}}", "pull": ["samples/web"] } ] }
            """);
        File.SetUnixFileMode(accessFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var log = new StringWriter();
        var buildLog = new CapturingLog();
        await using var host = await ServeHost.StartAsync(new ServeSettings
        {
            Locations = images.Locations.Select(ServedLocation.Parse).ToList(),
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            TlsCertificate = cert,
            TlsKey = key,
            AccessFile = accessFile,
            RequestLog = TextWriter.Synchronized(log),
        }, buildLog, CancellationToken.None);
        Assert.Equal("https", host.Address.Scheme);
        var server = host.Address.Authority;

        ProcessResult Skopeo(string reference, params string[] credentials) => ProcessRunner.Run("skopeo",
            ["copy", "--src-cert-dir", certDirectory, .. credentials, $"docker://{server}/{reference}", $"oci:{temp.Combine(Guid.NewGuid().ToString("N"))}:x"]);
        Skopeo("tools/data:1", "--src-creds", $"site:{Password}").EnsureSuccess("skopeo copy tools/data with the site user");
        Assert.NotEqual(0, Skopeo("samples/web:1.0", "--src-creds", $"site:{Password}").ExitCode);  // not granted
        Assert.NotEqual(0, Skopeo("tools/data:1", "--src-creds", "site:wrong-password").ExitCode);
        Assert.NotEqual(0, Skopeo("tools/data:1").ExitCode);                                       // anonymous
        Skopeo("samples/web:1.0", "--src-registry-token", Token).EnsureSuccess("skopeo copy samples/web with the bearer token");

        string Curl(string path, params string[] options) =>
            ProcessRunner.Run("curl", ["-s", "--cacert", pki.CaFile, "-o", "/dev/null", "-w", "%{http_code}", .. options, $"https://{server}{path}"]).StandardOutput.Trim();
        Assert.Equal("401", Curl("/v2/"));
        Assert.Equal("403", Curl($"/v2/tools/data/manifests/1", "-H", $"Authorization: Bearer {Token}"));
        Assert.Equal("200", Curl($"/v2/samples/web/manifests/1.0", "-H", $"Authorization: Bearer {Token}"));
        var catalog = ProcessRunner.Run("curl", "-s", "--cacert", pki.CaFile, "-u", $"site:{Password}", $"https://{server}/v2/_catalog").StandardOutput.Trim();
        Assert.Equal("""{"repositories":["tools/data"]}""", catalog);

        var lines = log.ToString();
        Assert.Contains(" site", lines);  // who asked is logged...
        Assert.DoesNotContain(Password, lines);  // ...never a secret
        Assert.DoesNotContain(Token, lines);
        Assert.DoesNotContain(buildLog.Lines, l => l.StartsWith("warning", StringComparison.Ordinal)); // loopback, TLS, a private access file
    }

    [Fact]
    public void Bad_invocations_are_refused_with_coded_errors_before_anything_is_served()
    {
        using var temp = new TempDirectory("serve-bad");
        var other = temp.Combine("other");
        TestImages.Base(temp.Path, other, temp.Combine("cache"), 1024); // also tagged "1", another digest
        var badAccess = temp.Combine("access.json");
        File.WriteAllText(badAccess, """{ "users": [ { "name": "site", "password": "x", "pull": ["Not A Repo"] } ] }""");
        var pki = new TestPki(temp.Combine("pki"));
        var (cert, _, _) = pki.IssueServer("one");
        var (_, otherKey, _) = pki.IssueServer("two");
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var taken = ((IPEndPoint)busy.LocalEndpoint).Port;
        var data = $"tools/data={images.DataLayout}";

        AssertRefused(ErrorCodes.InvalidListenAddress, "serve", data, "--listen", "somewhere:5000");
        AssertRefused(ErrorCodes.ListenFailed, "serve", data, "--listen", $"127.0.0.1:{taken}");
        AssertRefused(ErrorCodes.ConflictingTag, "serve", data, $"tools/data={other}", "--listen", "127.0.0.1:0");
        AssertRefused(ErrorCodes.InvalidRepositoryName, "serve", data, "--prefix", "Site/A", "--listen", "127.0.0.1:0");
        AssertRefused(ErrorCodes.InvalidAccessFile, "serve", data, "--access", badAccess, "--listen", "127.0.0.1:0");
        AssertRefused(ErrorCodes.InvalidTlsCertificate, "serve", data, "--tls-cert", cert, "--tls-key", otherKey, "--listen", "127.0.0.1:0");
        AssertRefused(ErrorCodes.InvalidLayout, "serve", temp.Combine("missing"), "--listen", "127.0.0.1:0");
        var empty = temp.Combine("empty");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, OciLayout.LayoutFileName), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllText(Path.Combine(empty, OciLayout.IndexFileName), """{"schemaVersion":2,"manifests":[]}""");
        AssertRefused(ErrorCodes.NothingToServe, "serve", empty, "--listen", "127.0.0.1:0");
        Assert.Equal(2, DotnetOci.Run("serve", data, "--tls-cert", cert).Exit); // a certificate without its key is a usage error

        // Plain HTTP off loopback is warned about before listening. 192.0.2.1 (TEST-NET-1) is on no interface here, so
        // the bind fails right after the warning and nothing ever listens beyond loopback.
        var (offLoopback, _, warned) = DotnetOci.Run("serve", data, "--listen", "192.0.2.1:0");
        Assert.Equal(1, offLoopback);
        Assert.Contains($"warning {ErrorCodes.PlainHttpOnNetwork}:", warned);
        Assert.Contains($"error {ErrorCodes.ListenFailed}:", warned);
    }

    private static void AssertRefused(string code, params string[] args)
    {
        var (exit, _, error) = DotnetOci.Run(args);
        Assert.True(exit == 1 && error.Contains($"error {code}:"), $"{string.Join(' ', args)}: expected {code}, got exit {exit}: {error}");
    }
}
