using Oci.Build.Tests.Infrastructure;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry.Delegation;
using Oci.Build.Registry.Transfer;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>registries.conf and hosts.toml against two real registries; name delegation against a local HTTPS server.</summary>
public sealed class MirrorsAndDelegationTests
{
    [Fact]
    public void Registries_conf_rewrites_uses_mirrors_for_pulls_only_blocks_and_keeps_the_original_name()
    {
        using var primary = new RegistryServer();
        using var mirror = new RegistryServer();
        using var harness = new EngineHarness();
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 16 * 1024);
        var digest = TestImages.ManifestDigest(layout);
        harness.Push(layout, primary.Host, "real/team/base", "1");
        harness.Push(layout, mirror.Host, "mirror/team/base", "1");

        var conf = harness.Combine("registries.conf");
        File.WriteAllText(conf, $"""
            unqualified-search-registries = ["docker.io"]

            [[registry]]
            prefix = "vanity.example/team"
            location = "{primary.Host}/real/team"

            [[registry.mirror]]
            location = "{mirror.Host}/mirror/team"
            pull-from-mirror = "digest-only"

            [[registry]]
            location = "blocked.example"
            blocked = true
            """);
        harness.RegistriesConfig = conf;

        // By digest (first, while nothing is cached): the mirror is tried first and serves it.
        var mirrorLogStart = mirror.Log.Length;
        using (var byDigest = harness.Pull($"vanity.example/team/base@{digest}"))
            Assert.Equal(digest, byDigest.ManifestDescriptor!.Digest);
        Assert.Contains($"/v2/mirror/team/base/manifests/{digest}", mirror.WaitForLog($"/v2/mirror/team/base/manifests/{digest}", mirrorLogStart));

        // By tag: the digest-only mirror is skipped, the rewritten location serves it.
        mirrorLogStart = mirror.Log.Length;
        var primaryLogStart = primary.Log.Length;
        using (var byTag = harness.Pull("vanity.example/team/base:1"))
        {
            Assert.Equal("vanity.example/team/base:1", byTag.Name);
            Assert.True(primary.WaitForLog("/v2/real/team/base/manifests/1", primaryLogStart).Contains("/v2/real/team/base/manifests/1"), harness.Log.Text);
        }
        Assert.DoesNotContain("/v2/mirror/team/base/manifests", mirror.Log[mirrorLogStart..]);

        // An image built from the vanity base keeps the vanity name; a push under the vanity prefix goes to the
        // rewritten location, never to the mirror.
        var appLayout = harness.Combine("app");
        using (var baseImage = harness.Pull("vanity.example/team/base:1"))
            TestImages.App(baseImage, harness.Work, appLayout, harness.Cache, "app", "1");
        var manifest = OciJson.Deserialize<ImageManifest>(OciLayout.Open(appLayout).ReadDocument(OciLayout.Open(appLayout).Index.Manifests[0], "m"), "m");
        Assert.Equal("vanity.example/team/base:1", manifest.Annotations![AnnotationKeys.BaseName]);
        var mirrorBeforePush = mirror.Log.Length;
        var pushed = harness.Push(appLayout, "vanity.example", "team/app", "1");
        Assert.Equal(["vanity.example/team/app:1"], pushed.References);
        Assert.Equal(1, pushed.Push.Count(BlobOutcome.Mounted)); // base layer mounted from real/team/base, same registry
        Assert.Contains("/v2/real/team/app/manifests/1", primary.WaitForLog("/v2/real/team/app/manifests/1", 0));
        Assert.DoesNotContain("/v2/mirror/team/app", mirror.Log[mirrorBeforePush..]);

        var blocked = Assert.Throws<OciException>(() => harness.Pull("blocked.example/anything:1"));
        Assert.Equal(ErrorCodes.RegistryBlocked, blocked.Code);
    }

    [Fact]
    public void Hosts_toml_sends_pulls_to_a_mirror_with_ns_and_pushes_to_the_server()
    {
        using var origin = new RegistryServer();
        using var mirror = new RegistryServer();
        using var harness = new EngineHarness();
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 8 * 1024);
        harness.Push(layout, mirror.Host, "lib/only-on-mirror", "1");

        var hosts = harness.Combine("hosts.d");
        Directory.CreateDirectory(Path.Combine(hosts, origin.Host));
        File.WriteAllText(Path.Combine(hosts, origin.Host, "hosts.toml"), $"""
            server = "http://{origin.Host}"

            [host."http://{mirror.Host}"]
              capabilities = ["pull", "resolve"]
            """);
        harness.HostsDirectory = hosts;

        using (var pulled = harness.Pull($"{origin.Host}/lib/only-on-mirror:1"))
            Assert.Equal($"{origin.Host}/lib/only-on-mirror:1", pulled.Name);
        Assert.True(mirror.WaitForLog("ns=", 0).Contains("ns=" + Uri.EscapeDataString(origin.Host)), harness.Log.Text + "\n----\n" + mirror.Log);

        var mirrorBefore = mirror.Log.Length;
        harness.Push(layout, origin.Host, "lib/pushed", "1");
        Assert.Contains("/v2/lib/pushed/manifests/1", origin.WaitForLog("/v2/lib/pushed/manifests/1", 0));
        Assert.DoesNotContain("/v2/lib/pushed", mirror.Log[mirrorBefore..]);
    }

    [Fact]
    public void Delegation_document_over_verified_https_is_followed_cached_and_used_offline()
    {
        using var harness = new EngineHarness { NameDelegation = true };
        using var registry = new RegistryServer();
        var pki = new TestPki(harness.Combine("pki"));
        var (_, _, certificate) = pki.IssueServer("delegation");
        var server = new TlsDocumentServer(certificate);
        var domain = $"localhost:{server.Port}";
        server.Body = $$"""
            {"delegations":[
              {"prefix":"{{domain}}/team","location":"{{registry.Host}}/contoso-team","push":true},
              {"prefix":"{{domain}}/team/readonly","location":"{{registry.Host}}/ro","push":false}
            ]}
            """;
        server.Headers["Cache-Control"] = "max-age=0";

        // Without trusting the test CA, the document is not read: the name stays as it is.
        var untrusted = harness.Settings.CreateResolver(harness.Log).ResolvePull(ImageReference.Parse($"{domain}/team/app:1"));
        Assert.Equal(domain, untrusted.Primary.Endpoint.Host);

        // Trust the CA through hosts.toml (ca only: TLS settings, not a rewrite).
        var hosts = harness.Combine("hosts.d");
        Directory.CreateDirectory(Path.Combine(hosts, domain));
        File.WriteAllText(Path.Combine(hosts, domain, "hosts.toml"), $"ca = \"{pki.CaFile}\"\n");
        harness.HostsDirectory = hosts;
        // A fresh cache directory per step would hide caching; this one is shared across the steps below.
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 8 * 1024);
        var pushed = harness.Push(layout, domain, "team/app", "1");
        Assert.Equal([$"{domain}/team/app:1"], pushed.References); // the vanity name in outputs
        Assert.Contains("/v2/contoso-team/app/manifests/1", registry.WaitForLog("/v2/contoso-team/app/manifests/1", 0));
        var fetches = server.Requests.Count;
        Assert.True(fetches >= 1);
        Assert.All(server.Requests, r => Assert.StartsWith("GET /.well-known/oci-delegation.json ", r));
        Assert.All(server.Requests, r => Assert.DoesNotContain("Authorization", r, StringComparison.OrdinalIgnoreCase));

        using (var pulled = harness.Pull($"{domain}/team/app:1"))
            Assert.Equal($"{domain}/team/app:1", pulled.Name);

        // push:false entries serve pulls only; a push falls back to the longest push:true entry.
        var resolver = harness.Settings.CreateResolver(harness.Log);
        Assert.Equal($"{registry.Host}/ro/app", resolver.ResolvePull(ImageReference.Parse($"{domain}/team/readonly/app:1")).Primary.ToString());
        Assert.Equal($"{registry.Host}/contoso-team/readonly/app", resolver.ResolvePush(ImageReference.Parse($"{domain}/team/readonly/app:1")).Primary.ToString());

        // Offline: the domain is gone and the cached answer is stale (max-age=0), yet it is used.
        server.Dispose();
        using (var offline = harness.Pull($"{domain}/team/app:1"))
            Assert.Equal(pushed.ManifestDigest, offline.ManifestDescriptor!.Digest);
        Assert.Contains("using the answer cached", harness.Log.Text);

        // Static rules win: a registries.conf rule for the prefix means no discovery at all.
        var conf = harness.Combine("static.conf");
        File.WriteAllText(conf, $"[[registry]]\nprefix = \"{domain}/team\"\nlocation = \"{registry.Host}/static-team\"\n");
        harness.RegistriesConfig = conf;
        Assert.Equal($"{registry.Host}/static-team/app", harness.Settings.CreateResolver(harness.Log).ResolvePull(ImageReference.Parse($"{domain}/team/app:1")).Primary.ToString());

        // ContainerNameDelegation=false: no discovery, not even the cached answer.
        harness.RegistriesConfig = null;
        harness.NameDelegation = false;
        Assert.Equal($"{domain}/team/app", harness.Settings.CreateResolver(harness.Log).ResolvePull(ImageReference.Parse($"{domain}/team/app:1")).Primary.ToString());
    }

    [Fact]
    public void Delegation_refuses_a_redirect_to_another_host_and_a_document_for_foreign_names()
    {
        using var harness = new EngineHarness { NameDelegation = true };
        var pki = new TestPki(harness.Combine("pki"));
        var (_, _, certificate) = pki.IssueServer("delegation");
        using var server = new TlsDocumentServer(certificate);
        var domain = $"localhost:{server.Port}";
        var options = new DelegationOptions { CaFilesFor = _ => [pki.CaFile], CacheDirectory = harness.Combine("delegation") };

        server.Status = 302;
        server.Headers["Location"] = $"https://127.0.0.1:{server.Port}/.well-known/oci-delegation.json";
        Assert.Null(new DelegationResolver(options, harness.Log).Find(domain));
        Assert.Single(server.Requests); // the redirect was not followed
        Assert.Contains("redirects to", harness.Log.Text);

        server.Status = 200;
        server.Headers.Remove("Location");
        server.Body = """{"delegations":[{"prefix":"someone-else.example/app","location":"evil.example/app"}]}""";
        var foreign = Assert.Throws<OciException>(() => new DelegationResolver(options with { CacheDirectory = harness.Combine("d2") }, harness.Log).Find(domain));
        Assert.Equal(ErrorCodes.RegistryConfigInvalid, foreign.Code);
        Assert.Contains("only its own names", foreign.Message);
    }
}
