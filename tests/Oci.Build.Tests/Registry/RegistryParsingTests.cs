using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Config;
using Oci.Build.Registry.Delegation;
using Oci.Build.Registry.Transport;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>Unit tests of the registry engine's parsers and pure decisions.</summary>
public sealed class RegistryParsingTests
{
    [Fact]
    public void Endpoints_resolved_twice_from_the_same_configuration_are_equal_and_share_one_client()
    {
        RegistryEndpoint Make() => new()
        {
            Host = "mirror.example:5000", Scheme = "https", CaFiles = ["/etc/ca.pem"], Namespace = "docker.io", IsMirror = true,
            Headers = new Dictionary<string, string> { ["X-Site"] = "a" },
        };
        Assert.Equal(Make(), Make());
        Assert.Equal(Make().GetHashCode(), Make().GetHashCode());
        Assert.NotEqual(Make(), Make() with { Headers = new Dictionary<string, string> { ["X-Site"] = "b" } });
        Assert.NotEqual(Make(), Make() with { CaFiles = ["/etc/other.pem"] });
        using var context = new RegistryContext(new CredentialChain([]));
        Assert.Same(context.ClientFor(Make()), context.ClientFor(Make()));
    }

    [Fact]
    public void WwwAuthenticate_bearer_with_quoted_commas_and_a_second_challenge()
    {
        var challenges = AuthChallenge.ParseAll(
            "Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:a/b:pull,push\", Basic realm=\"x\"");
        Assert.Equal(2, challenges.Count);
        Assert.True(challenges[0].IsBearer);
        Assert.Equal("https://auth.example.com/token", challenges[0].Realm);
        Assert.Equal("registry.example.com", challenges[0].Service);
        Assert.Equal("repository:a/b:pull,push", challenges[0].Scope);
        Assert.True(challenges[1].IsBasic);
        Assert.Equal("x", challenges[1].Realm);
    }

    [Theory]
    [InlineData("bearer REALM=\"r\", error=\"insufficient_scope\"", "r", "insufficient_scope")]
    [InlineData("Bearer realm=r,service=s", "r", null)]
    [InlineData("Bearer realm=\"a\\\"b\"", "a\"b", null)]
    public void WwwAuthenticate_variants(string header, string realm, string? error)
    {
        var challenge = Assert.Single(AuthChallenge.ParseAll(header));
        Assert.Equal(realm, challenge.Realm);
        Assert.Equal(error, challenge.Error);
    }

    [Fact]
    public void WwwAuthenticate_garbage_yields_nothing_rather_than_throwing()
    {
        Assert.Empty(AuthChallenge.ParseAll(""));
        Assert.Empty(AuthChallenge.ParseAll(",,, ="));
    }

    [Fact]
    public void Registries_conf_longest_prefix_wildcards_component_boundaries_and_drop_in_replacement()
    {
        var conf = RegistriesConf.Parse("""
            [[registry]]
            prefix = "example.com"
            location = "mirror.local/example"

            [[registry]]
            prefix = "example.com/team"
            location = "team.local/t"
            insecure = true

            [[registry]]
            prefix = "*.corp.example"
            blocked = true

            [[registry]]
            location = "plain.example"
            [[registry.mirror]]
            location = "m1.local"
            [[registry.mirror]]
            location = "m2.local"
            pull-from-mirror = "tag-only"
            """);
        var team = conf.Match("example.com/team/app:1")!;
        Assert.Equal("example.com/team", team.Prefix);
        Assert.Equal("team.local/t/app", team.Rewrite("example.com/team/app", team.Location));
        Assert.True(team.Insecure);
        Assert.Equal("example.com", conf.Match("example.com/teamwork/app")!.Prefix); // not a component boundary for "team"
        Assert.Null(conf.Match("example.com:5000/x")); // another registry, not this prefix
        Assert.Null(conf.Match("example.company/x"));
        Assert.True(conf.Match("a.b.corp.example/x:1")!.Blocked);
        Assert.Null(conf.Match("corp.example/x"));
        var plain = conf.Match("plain.example/lib/x@sha256:" + new string('a', 64))!;
        Assert.Equal("plain.example", plain.Prefix);
        Assert.Equal([PullFromMirror.All, PullFromMirror.TagOnly], plain.Mirrors.Select(m => m.PullFrom));
    }

    [Fact]
    public void Registries_conf_errors_are_coded()
    {
        Assert.Equal(ErrorCodes.RegistryConfigInvalid, Assert.Throws<OciException>(() => RegistriesConf.Parse("[[registry]]\nprefix = \"a.*.b\"\nlocation=\"x\"")).Code);
        Assert.Equal(ErrorCodes.RegistryConfigInvalid, Assert.Throws<OciException>(() => RegistriesConf.Parse("[[registry]]\ninsecure = true")).Code);
        Assert.Equal(ErrorCodes.RegistryConfigInvalid, Assert.Throws<OciException>(() => RegistriesConf.Parse("[[registry]\n")).Code);
        Assert.Equal(ErrorCodes.RegistryConfigInvalid,
            Assert.Throws<OciException>(() => RegistriesConf.Parse("[[registry]]\nlocation=\"a.b\"\n[[registry.mirror]]\nlocation=\"m\"\npull-from-mirror=\"sometimes\"")).Code);
    }

    [Fact]
    public void Registries_conf_load_reads_drop_ins_in_order_and_a_later_table_replaces_an_earlier_prefix()
    {
        using var harness = new EngineHarness();
        var config = harness.Combine("xdg");
        Directory.CreateDirectory(Path.Combine(config, "containers", "registries.conf.d"));
        File.WriteAllText(Path.Combine(config, "containers", "registries.conf"), "[[registry]]\nprefix=\"a.example\"\nlocation=\"one.example\"\n");
        File.WriteAllText(Path.Combine(config, "containers", "registries.conf.d", "50-b.conf"), "[[registry]]\nprefix=\"a.example\"\nlocation=\"two.example\"\n");
        File.WriteAllText(Path.Combine(config, "containers", "registries.conf.d", "10-a.conf"), "[aliases]\n\"x\" = \"docker.io/library/x\"\n");
        var conf = RegistriesConf.Load(null, name => name == "XDG_CONFIG_HOME" ? config : name == "HOME" ? harness.Home : null);
        Assert.Equal("two.example", conf.Match("a.example/x")!.Location);
        Assert.Equal(ErrorCodes.RegistryConfigInvalid, Assert.Throws<OciException>(() => RegistriesConf.Load(harness.Combine("missing.conf"), _ => null)).Code);
    }

    [Fact]
    public void Hosts_toml_hosts_in_file_order_with_capabilities_ca_and_server_last()
    {
        var hosts = HostsToml.Parse("""
            server = "https://registry.example.com"
            ca = "/etc/ca.pem"

            [host."https://mirror-b.local"]
              capabilities = ["pull", "resolve"]
              skip_verify = true
              [host."https://mirror-b.local".header]
                x-custom = "1"

            [host."http://mirror-a.local:5000/path"]
              capabilities = ["pull"]
              ca = ["a.pem", "/abs/b.pem"]
              override_path = true
            """, "registry.example.com", "/etc/containerd/certs.d/registry.example.com/hosts.toml");
        Assert.Equal(["mirror-b.local", "mirror-a.local:5000", "registry.example.com"], hosts.Hosts.Select(h => h.Host));
        Assert.True(hosts.Hosts[0].SkipVerify);
        Assert.Equal("1", hosts.Hosts[0].Headers["x-custom"]);
        Assert.Equal("/path", hosts.Hosts[1].ApiRoot);
        Assert.Equal(["/etc/containerd/certs.d/registry.example.com/a.pem", "/abs/b.pem"], hosts.Hosts[1].CaFiles);
        Assert.Equal("/v2", hosts.Server.ApiRoot);
        Assert.Equal(["/etc/ca.pem"], hosts.Server.CaFiles);
        Assert.Equal(["registry.example.com"], hosts.For(HostCapabilities.Push).Select(h => h.Host)); // only the server may push
        Assert.True(hosts.Redirects);
        Assert.False(HostsToml.Parse("ca = \"x.pem\"", "r.example").Redirects);
        Assert.Equal(ErrorCodes.RegistryConfigInvalid, Assert.Throws<OciException>(() => HostsToml.Parse("[host.\"https://m\"]\ncapabilities=[\"fly\"]", "r")).Code);
        Assert.Equal(ErrorCodes.RegistryConfigInvalid, Assert.Throws<OciException>(() => HostsToml.Parse("[host.\"https://m\"]\nclient=\"c.pem\"", "r")).Code);
    }

    [Fact]
    public void Hosts_toml_directory_lookup_prefers_host_port_underscore_then_colon_then_default()
    {
        using var harness = new EngineHarness();
        var dir = harness.Combine("certs.d");
        foreach (var (name, server) in new[] { ("r.local_5000_", "https://a.local"), ("r.local:5000", "https://b.local"), ("_default", "https://c.local") })
        {
            Directory.CreateDirectory(Path.Combine(dir, name));
            File.WriteAllText(Path.Combine(dir, name, "hosts.toml"), $"server = \"{server}\"\n");
        }
        Assert.Equal("a.local", HostsToml.Find(dir, "r.local:5000")!.Server.Host);
        Assert.Equal("c.local", HostsToml.Find(dir, "other.local")!.Server.Host);
        Assert.Null(HostsToml.Find(null, "r.local"));
    }

    [Fact]
    public void Delegation_document_longest_prefix_push_filter_and_validation()
    {
        var document = DelegationDocument.Parse("""
            {"delegations":[
              {"prefix":"contoso.com/team","location":"registry.example.net/contoso-team","push":true},
              {"prefix":"contoso.com/team/public","location":"mirror.example.net/pub","push":false},
              {"prefix":"contoso.com","location":"registry.example.net/contoso"}
            ],"future":"ignored"}
            """u8, "contoso.com");
        Assert.Equal("registry.example.net/contoso-team/app", document.Match("contoso.com/team/app", forPush: false)!.Rewrite("contoso.com/team/app"));
        Assert.Equal("mirror.example.net/pub/x", document.Match("contoso.com/team/public/x", forPush: false)!.Rewrite("contoso.com/team/public/x"));
        Assert.Equal("registry.example.net/contoso-team/public/x", document.Match("contoso.com/team/public/x", forPush: true)!.Rewrite("contoso.com/team/public/x"));
        Assert.Equal("registry.example.net/contoso/teamwork", document.Match("contoso.com/teamwork", forPush: true)!.Rewrite("contoso.com/teamwork"));

        foreach (var bad in new[]
                 {
                     """{"delegations":[{"prefix":"other.com/x","location":"r.example/x"}]}""",
                     """{"delegations":[{"prefix":"contoso.com/x","location":"https://r.example/x"}]}""",
                     """{"delegations":[{"prefix":"contoso.com/x"}]}""",
                     """{"delegations":[{"prefix":"contoso.com/x","location":"r.example/x","push":"yes"}]}""",
                     """{"nope":[]}""",
                     """not json""",
                 })
        {
            Assert.Equal(ErrorCodes.RegistryConfigInvalid, Assert.Throws<OciException>(() => DelegationDocument.Parse(System.Text.Encoding.UTF8.GetBytes(bad), "contoso.com")).Code);
        }
        Assert.Throws<OciException>(() => DelegationDocument.Parse(new byte[DelegationDocument.MaxSize + 1], "contoso.com"));
    }

    [Fact]
    public void Docker_config_keys_match_by_host_only_and_credentials_never_print_their_secret()
    {
        using var harness = new EngineHarness();
        var path = harness.Combine("config.json");
        var auth = Convert.ToBase64String("u:p4ss-w0rd"u8.ToArray());
        File.WriteAllText(path, "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + auth + "\"},\"reg.example:5000\":{\"identitytoken\":\"refresh-123\"}}}");
        var source = new DockerConfigCredentialSource(path);
        var hub = source.Find("registry-1.docker.io")!;
        Assert.Equal("u", hub.Username);
        Assert.DoesNotContain("p4ss-w0rd", hub.ToString());
        Assert.Equal("refresh-123", source.Find("reg.example:5000")!.IdentityToken);
        Assert.Null(source.Find("reg.example"));       // another port is another host
        Assert.Null(source.Find("evil.example"));

        File.WriteAllText(path, "{\"auths\": {\"x\": {\"auth\": \"p4ss-w0rd-not-base64!\"}}}");
        var error = Assert.Throws<OciException>(() => new DockerConfigCredentialSource(path).Find("x"));
        Assert.DoesNotContain("p4ss-w0rd", error.Message);
    }

    [Fact]
    public void Environment_credentials_are_bound_to_the_push_and_pull_hosts_only()
    {
        var env = new Dictionary<string, string>
        {
            ["DOTNET_CONTAINER_REGISTRY_UNAME"] = "generic", ["DOTNET_CONTAINER_REGISTRY_PWORD"] = "g",
            ["DOTNET_CONTAINER_PULL_REGISTRY_UNAME"] = "puller", ["DOTNET_CONTAINER_PULL_REGISTRY_PWORD"] = "p",
        };
        var source = new EnvironmentCredentialSource(n => env.GetValueOrDefault(n), pushHost: "push.example", pullHost: "pull.example");
        Assert.Equal("generic", source.Find("push.example")!.Username);
        Assert.Equal("puller", source.Find("pull.example")!.Username);
        Assert.Null(source.Find("mirror.example"));
        env.Remove("DOTNET_CONTAINER_PULL_REGISTRY_UNAME");
        Assert.Null(source.Find("pull.example")); // the generic pair belongs to the push registry
        Assert.Equal("generic", new EnvironmentCredentialSource(n => env.GetValueOrDefault(n), null, "pull.example").Find("pull.example")!.Username);
        env["DOTNET_CONTAINER_REGISTRY_UNAME"] = "<token>";
        Assert.Equal("g", source.Find("push.example")!.RegistryToken);
    }

    [Fact]
    public void Token_grants_are_read_from_the_jwt_access_claim()
    {
        static string Part(string json) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = Part("{\"alg\":\"none\"}") + "." + Part("{\"access\":[{\"type\":\"repository\",\"name\":\"b/app\",\"actions\":[\"pull\",\"push\"]}]}") + ".sig";
        var grants = TokenGrants.TryRead(token)!;
        Assert.True(grants.Allows("b/app", "push"));
        Assert.False(grants.Allows("a/base", "pull"));
        Assert.Null(TokenGrants.TryRead("opaque-token"));
    }

    [Fact]
    public void Retry_policy_honours_retry_after_and_caps_it()
    {
        var policy = RetryPolicy.Default;
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), policy.Delay(1, response));
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromHours(1));
        Assert.Equal(policy.MaxDelay, policy.Delay(1, response));
        Assert.True(RetryPolicy.IsRetryable(System.Net.HttpStatusCode.BadGateway));
        Assert.False(RetryPolicy.IsRetryable(System.Net.HttpStatusCode.NotImplemented));
        Assert.False(RetryPolicy.IsRetryable(System.Net.HttpStatusCode.NotFound));
    }

    [Theory]
    [InlineData("localhost:5000", true)]
    [InlineData("127.0.0.2", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("registry.example.com", false)]
    [InlineData("10.0.0.1:5000", false)]
    public void Loopback_hosts_may_use_plain_http(string host, bool loopback) => Assert.Equal(loopback, RegistryEndpoint.IsLoopback(host));

    [Fact]
    public void Push_target_must_be_a_host_not_a_url()
    {
        using var harness = new EngineHarness();
        var error = Assert.Throws<OciException>(() => harness.Push(harness.Combine("nothing"), "https://registry.example.com", "x/hello"));
        Assert.Equal(ErrorCodes.InvalidPushSetting, error.Code);
        var bad = Assert.Throws<OciException>(() => harness.Push(harness.Combine("nothing"), "registry.example.com", "X/Hello"));
        Assert.Equal(ErrorCodes.InvalidRegistryReference, bad.Code);
    }
}
