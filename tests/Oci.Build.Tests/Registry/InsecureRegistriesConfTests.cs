using Oci.Build.Tests.Infrastructure;
using Oci.Build.Oci;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// registries.conf <c>insecure = true</c> against a real TLS registry whose certificate nothing trusts: it turns
/// verification off for the names its rule matches, and for nothing else (another host, another prefix of the same
/// host, the same server under another name).
/// </summary>
public sealed class InsecureRegistriesConfTests : IDisposable
{
    private readonly EngineHarness _harness = new();
    private readonly RegistryServer _registry;
    private readonly string _layout;

    public InsecureRegistriesConfTests()
    {
        var pki = new TestPki(_harness.Combine("pki"));
        var (cert, key, _) = pki.IssueServer("registry"); // valid for localhost and 127.0.0.1, issued by an untrusted CA
        _registry = new RegistryServer(tls: (cert, key));
        _layout = _harness.Combine("base");
        TestImages.Base(_harness.Work, _layout, _harness.Combine("build-cache"), 8 * 1024);
    }

    [Fact]
    public void Insecure_applies_to_the_matching_rule_only()
    {
        var port = _registry.Port;
        var ip = $"127.0.0.1:{port}";

        // Without a rule: refused (the certificate is not trusted), and no fallback to plain HTTP.
        UseConf("# no rules\n");
        AssertRefused(ip, "lib/app");

        // Rules for other hosts, and for this server under its other name, do not make this host insecure.
        UseConf($"""
            [[registry]]
            location = "127.0.0.1:{port + 1}"
            insecure = true

            [[registry]]
            location = "localhost:{port}"
            insecure = true
            """);
        AssertRefused(ip, "lib/app");
        // ...while the rule does apply to the name it is for.
        var viaLocalhost = _harness.Push(_layout, $"localhost:{port}", "lib/app", "1");
        Assert.Equal(TestImages.ManifestDigest(_layout), viaLocalhost.ManifestDigest);

        // A prefix rule covers its prefix only: another repository on the same host is still verified.
        UseConf($"""
            [[registry]]
            prefix = "{ip}/trusted"
            location = "{ip}/trusted"
            insecure = true
            """);
        Assert.Equal(TestImages.ManifestDigest(_layout), _harness.Push(_layout, ip, "trusted/app", "1").ManifestDigest);
        AssertRefused(ip, "lib/other");

        // prefix -> location: the rewritten location is reached without verification; the name stays the original.
        UseConf($"""
            [[registry]]
            prefix = "registry.example/team"
            location = "{ip}/team"
            insecure = true
            """);
        var rewritten = _harness.Push(_layout, "registry.example", "team/app", "1");
        Assert.Equal(["registry.example/team/app:1"], rewritten.References);
        using var pulled = _harness.Pull("registry.example/team/app:1");
        Assert.Equal(rewritten.ManifestDigest, pulled.ManifestDescriptor!.Digest);
        Assert.Equal("registry.example/team/app:1", pulled.Name);
        AssertRefused(ip, "team/app"); // the same repository named directly: no rule matches, so verified
    }

    private void AssertRefused(string registry, string repository)
    {
        var refused = Assert.Throws<OciException>(() => _harness.Push(_layout, registry, repository, "1"));
        Assert.Equal(ErrorCodes.RegistryTlsFailed, refused.Code);
        Assert.Contains("not issued by a trusted authority", refused.Message);
    }

    private void UseConf(string text)
    {
        var path = _harness.Combine($"registries-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, text);
        _harness.RegistriesConfig = path;
    }

    public void Dispose()
    {
        _registry.Dispose();
        _harness.Dispose();
    }
}
