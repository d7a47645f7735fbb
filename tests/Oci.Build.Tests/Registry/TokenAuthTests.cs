using System.Security.Cryptography;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transfer;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// Token auth against a real docker-registry with a token server granting per repository: alice may use a/*, bob only
/// b/*. The seed-001 lessons: existence and access are per repository, a mount needs pull on its source, and a digest
/// is never permission.
/// </summary>
public sealed class TokenAuthTests : IDisposable
{
    private readonly TempDirectory _work = new("token");
    private readonly TokenServer _tokens;
    private readonly RegistryServer _registry;

    public TokenAuthTests()
    {
        _tokens = new TokenServer(_work.Path, RegistryServer.Users, Grant);
        _registry = new RegistryServer(RegistryServer.AuthMode.Token, _tokens);
    }

    /// <summary>alice: a/*; bob: b/*; ci: x/* and pull on base. Nobody gets anything anonymously.</summary>
    private static IReadOnlyList<string> Grant(string? user, string repository, IReadOnlyList<string> requested)
    {
        bool Allowed(string action) => user switch
        {
            "alice" => repository.StartsWith("a/", StringComparison.Ordinal),
            "bob" => repository.StartsWith("b/", StringComparison.Ordinal),
            "ci" => repository.StartsWith("x/", StringComparison.Ordinal) || (repository == "base" && action == "pull"),
            _ => false,
        };
        return requested.Where(Allowed).ToList();
    }

    [Fact]
    public void Mounts_follow_the_credentials_grants_and_existence_is_per_repository()
    {
        using var alice = new EngineHarness().As("alice");
        var host = _registry.Host;

        // alice: base to a/base, then an app image built FROM the registry base (a real pull), pushed to a/app.
        var baseLayout = alice.Combine("base");
        TestImages.Base(alice.Work, baseLayout, alice.Cache, 300 * 1024);
        var basePush = alice.Push(baseLayout, host, "a/base", "1");
        Assert.Equal(2, basePush.Push.Count(BlobOutcome.Uploaded)); // layer (chunked: > 256 KiB) + config

        var appLayout = alice.Combine("app");
        using (var pulledBase = alice.Pull($"{host}/a/base:1"))
            TestImages.App(pulledBase, alice.Work, appLayout, alice.Cache, "hello from a", "1");
        var baseLayer = OciJson.Deserialize<ImageManifest>(OciLayout.Open(baseLayout).ReadDocument(OciLayout.Open(baseLayout).Index.Manifests[0], "m"), "m").Layers[0];

        var appPush = alice.Push(appLayout, host, "a/app", "1");
        var mounted = Assert.Single(appPush.Push.Blobs, b => b.Outcome == BlobOutcome.Mounted);
        Assert.Equal(baseLayer.Digest, mounted.Descriptor.Digest);
        Assert.Equal("a/base", mounted.MountedFrom);
        Assert.Equal(2, appPush.Push.Count(BlobOutcome.Uploaded)); // app layer + config

        // Existence is per repository: a/other has none of a/app's blobs, so the app layer is uploaded again
        // (the base layer is mounted from the base's repository, never assumed present).
        var otherPush = alice.Push(appLayout, host, "a/other", "1");
        Assert.Equal(0, otherPush.Push.Count(BlobOutcome.Existed));
        Assert.Equal(1, otherPush.Push.Count(BlobOutcome.Mounted));
        Assert.Equal(2, otherPush.Push.Count(BlobOutcome.Uploaded));

        // A republish to a/app finds everything in place: no bytes.
        var again = alice.Push(appLayout, host, "a/app", "1");
        Assert.Equal(0, again.Push.BytesUploaded);
        Assert.Equal(0, again.Push.ManifestsWritten);

        // bob: may not read alice's blob through his own repository, even knowing its digest (seed 001).
        using var bob = new EngineHarness().As("bob");
        var bobContext = bob.Settings.CreateContext(pushHost: host, pullHost: null);
        var bobClient = bobContext.ClientFor(new RegistryEndpoint { Host = host, AllowPlainHttp = true });
        var notThere = Assert.Throws<OciException>(() =>
            bobClient.OpenBlobAsync("b/app", baseLayer, [RegistryScope.Pull("b/app")], CancellationToken.None).GetAwaiter().GetResult());
        Assert.Equal(ErrorCodes.RegistryBlobNotFound, notThere.Code);
        Assert.Contains("not available through", notThere.Message);
        // ...nor through alice's repository: his token carries no grant there.
        var denied = Assert.Throws<OciException>(() => bob.Pull($"{host}/a/base:1"));
        Assert.Equal(ErrorCodes.RegistryAccessDenied, denied.Code);
        Assert.Contains("a/base", denied.Message);
        bobContext.Dispose();

        // bob pushes the same app (whose base is a/base) to b/app: his token does not grant pull on a/base, so no
        // mount is attempted; every blob is uploaded and the push succeeds.
        var tokenRequestsBefore = _tokens.Requests.Count;
        var registryLogBefore = _registry.Log.Length;
        var bobPush = bob.Push(appLayout, host, "b/app", "1");
        Assert.Equal(0, bobPush.Push.Count(BlobOutcome.Mounted));
        Assert.Equal(3, bobPush.Push.Count(BlobOutcome.Uploaded));
        var bobRequests = _registry.WaitForLog("/v2/b/app/manifests/1", registryLogBefore);
        Assert.Contains("/v2/b/app/blobs/uploads/", bobRequests);
        Assert.DoesNotContain("mount=", bobRequests);
        Assert.Contains("not mounting from a/base", bob.Log.Text);
        // The token was asked with the target's push,pull FIRST, then pull on the mount source.
        var bobRequest = _tokens.Requests.Skip(tokenRequestsBefore).First(r => r.User == "bob");
        Assert.Equal(["repository:b/app:push,pull", "repository:a/base:pull"], bobRequest.Scopes);

        // skopeo reads every pushed image; digests equal the layout's.
        var appDigest = TestImages.ManifestDigest(appLayout);
        AssertSkopeoSees($"{host}/a/app:1", "alice", appDigest);
        AssertSkopeoSees($"{host}/a/other:1", "alice", appDigest);
        AssertSkopeoSees($"{host}/b/app:1", "bob", appDigest);
        AssertSkopeoSees($"{host}/a/base:1", "alice", TestImages.ManifestDigest(baseLayout));
        var copy = _work.Combine("copied");
        ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", "--src-creds", $"bob:{RegistryServer.Users["bob"]}", "--preserve-digests",
            $"docker://{host}/b/app:1", $"oci:{copy}:copied").EnsureSuccess("skopeo copy");
        Assert.Equal(appDigest, TestImages.ManifestDigest(copy));

        // No secret in any captured log: passwords, Basic header values, tokens.
        foreach (var log in new[] { alice.Log.Text, bob.Log.Text, notThere.Message, denied.Message })
        {
            foreach (var (user, password) in RegistryServer.Users)
            {
                Assert.DoesNotContain(password, log);
                Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")), log);
            }
            Assert.DoesNotContain("eyJ", log); // the start of every JWT this token server issues
            Assert.DoesNotContain("Authorization", log);
        }
    }

    [Fact]
    public void Wrong_password_and_no_credentials_get_coded_errors()
    {
        using var harness = new EngineHarness();
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Cache, 1024);

        var none = Assert.Throws<OciException>(() => harness.Push(layout, _registry.Host, "a/none", "1"));
        Assert.Equal(ErrorCodes.RegistryAuthenticationFailed, none.Code);
        Assert.Contains("DOTNET_CONTAINER_REGISTRY_UNAME", none.Message);

        harness.Environment["DOTNET_CONTAINER_REGISTRY_UNAME"] = "alice";
        harness.Environment["DOTNET_CONTAINER_REGISTRY_PWORD"] = "not-the-password-31";
        var wrong = Assert.Throws<OciException>(() => harness.Push(layout, _registry.Host, "a/none", "1"));
        Assert.Equal(ErrorCodes.RegistryAuthenticationFailed, wrong.Code);
        Assert.DoesNotContain("not-the-password-31", wrong.Message);
        Assert.DoesNotContain("not-the-password-31", harness.Log.Text);
    }

    [Fact]
    public void An_identity_token_from_docker_config_is_exchanged_with_a_refresh_token_grant_and_never_shown()
    {
        const string identityToken = "alice-refresh-token-Zq81";
        _tokens.RefreshTokens[identityToken] = "alice";
        using var harness = new EngineHarness();
        var host = _registry.Host;
        // What `docker login` stores for an identity-token login (ACR and others): a placeholder user, no password.
        var dockerDir = Path.Combine(harness.Home, ".docker");
        Directory.CreateDirectory(dockerDir);
        var placeholder = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("00000000-0000-0000-0000-000000000000:"));
        File.WriteAllText(Path.Combine(dockerDir, "config.json"),
            "{\"auths\":{\"" + host + "\":{\"auth\":\"" + placeholder + "\",\"identitytoken\":\"" + identityToken + "\"}}}");
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Cache, 8 * 1024);

        var pushed = harness.Push(layout, host, "a/identity", "1");
        Assert.Equal(TestImages.ManifestDigest(layout), pushed.ManifestDigest);
        using (var pulled = harness.Pull($"{host}/a/identity:1"))
            Assert.Equal(pushed.ManifestDigest, pulled.ManifestDescriptor!.Digest);

        // Every token the engine got came from the OAuth2 form with the refresh-token grant (no GET, so no anonymous
        // or Basic request), carrying the fields the token spec requires.
        var forms = _tokens.FormRequests.ToList();
        Assert.NotEmpty(forms);
        Assert.Equal(forms.Count, _tokens.Requests.Count);
        Assert.All(_tokens.Requests, r => Assert.Equal("alice", r.User));
        AssertSkopeoSees($"{host}/a/identity:1", "alice", pushed.ManifestDigest);
        Assert.All(forms, form =>
        {
            Assert.Equal("refresh_token", form["grant_type"]);
            Assert.Equal(identityToken, form["refresh_token"]);
            Assert.Equal(TokenServer.Service, form["service"]);
            Assert.False(string.IsNullOrEmpty(form["client_id"]));
        });
        Assert.Contains(forms, form => form["scope"] == "repository:a/identity:push,pull");
        Assert.Contains(forms, form => form["scope"] == "repository:a/identity:pull");

        // A refresh token the service does not accept: a coded error that shows neither it nor any token.
        File.WriteAllText(Path.Combine(dockerDir, "config.json"),
            "{\"auths\":{\"" + host + "\":{\"auth\":\"" + placeholder + "\",\"identitytoken\":\"revoked-refresh-token-Kp2\"}}}");
        var refused = Assert.Throws<OciException>(() => harness.Push(layout, host, "a/identity2", "1"));
        Assert.Equal(ErrorCodes.RegistryAuthenticationFailed, refused.Code);
        foreach (var text in new[] { harness.Log.Text, refused.Message })
        {
            Assert.DoesNotContain(identityToken, text);
            Assert.DoesNotContain("revoked-refresh-token-Kp2", text);
            Assert.DoesNotContain("eyJ", text); // the start of every access token this server issues
        }
    }

    private static void AssertSkopeoSees(string reference, string user, Digest expected)
    {
        var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", $"{user}:{RegistryServer.Users[user]}", $"docker://{reference}")
            .EnsureSuccess($"skopeo inspect {reference}");
        // skopeo prints the manifest bytes exactly as served (plus a newline it adds).
        var bytes = System.Text.Encoding.UTF8.GetBytes(raw.StandardOutput.TrimEnd('\n'));
        Assert.Equal(expected, Digest.Of(bytes));
    }

    public void Dispose()
    {
        _registry.Dispose();
        _tokens.Dispose();
        _work.Dispose();
    }
}
