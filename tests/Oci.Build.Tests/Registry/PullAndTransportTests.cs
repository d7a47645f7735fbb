using System.Collections.Concurrent;
using System.Net;
using Oci.Build.Store;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry.Transfer;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>Pulls through the verified cache, htpasswd (Basic) auth, TLS policy, and uploads that survive failures.</summary>
public sealed class PullAndTransportTests
{
    [Fact]
    public void A_digest_pinned_base_is_pulled_once_then_builds_offline_and_a_platform_it_lacks_is_named()
    {
        using var harness = new EngineHarness();
        Digest pinned;
        using (var registry = new RegistryServer())
        {
            var layout = harness.Combine("base");
            TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 64 * 1024);
            // skopeo, an independent writer, pushes a single-manifest base (indexes: MultiPlatformBaseTests).
            ProcessRunner.Run("skopeo", "copy", "--dest-tls-verify=false", $"oci:{layout}:1", $"docker://{registry.Host}/lib/base:1").EnsureSuccess("skopeo copy");
            pinned = TestImages.ManifestDigest(layout);

            using var image = harness.Pull($"{registry.Host}/lib/base:1@{pinned}");
            Assert.Equal($"{registry.Host}/lib/base:1@{pinned}", image.Name);
            Assert.All(image.Layers, l => Assert.True(File.Exists(harness.ContentStore.BlobPath(l.Digest))));

            // A platform the image does not have: a clear error naming what it offers (a single-platform base: OCI1030).
            var wrong = Assert.Throws<OciException>(() =>
                new global::Oci.Build.Images.BaseImageResolver([new global::Oci.Build.Registry.RegistryBaseImages(harness.Settings, harness.Log, null).Provider])
                    .Resolve($"{registry.Host}/lib/base:1", Platform.FromRuntimeIdentifier("linux-arm64")));
            Assert.Equal(ErrorCodes.BasePlatformMismatch, wrong.Code);
            Assert.Contains("built for linux/amd64", wrong.Message);
        }
        // The registry is gone: the pinned base still resolves, from the cache alone.
        using var offline = harness.Pull($"127.0.0.1:1/lib/base@{pinned}");
        Assert.Equal(pinned, offline.ManifestDescriptor!.Digest);
        // A tag needs the registry: a coded, actionable error.
        var tag = Assert.Throws<OciException>(() => harness.Pull("127.0.0.1:1/lib/base:1"));
        Assert.Equal(ErrorCodes.RegistryUnreachable, tag.Code);
    }

    [Fact]
    public void A_blob_whose_bytes_do_not_match_its_digest_is_refused_and_not_cached()
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        var layout = harness.Combine("base");
        var built = TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 32 * 1024);
        harness.Push(layout, registry.Host, "lib/bad", "1");
        var layer = built.Layers[0].Descriptor.Digest;

        // Flip one byte of the stored layer: same size, wrong content.
        var data = registry.BlobDataPath(layer);
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(data, bytes);

        var error = Assert.Throws<OciException>(() => harness.Pull($"{registry.Host}/lib/bad:1"));
        Assert.Equal(ErrorCodes.RegistryDigestMismatch, error.Code);
        Assert.False(File.Exists(harness.ContentStore.BlobPath(layer)));
        Assert.Empty(Directory.Exists(Path.Combine(harness.Cache, "tmp")) ? Directory.GetFiles(Path.Combine(harness.Cache, "tmp")) : []);
    }

    [Fact]
    public void A_copy_from_a_registry_asks_once_for_the_manifest_it_resolved()
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 64 * 1024);
        harness.Push(layout, registry.Host, "lib/once", "1");
        using var proxy = new FaultProxy(registry.Host);
        var manifestGets = new ConcurrentQueue<string>();
        proxy.Rule = request =>
        {
            if (request.IsManifestGet) manifestGets.Enqueue(request.Path);
            return null;
        };

        var copy = harness.Combine("copy");
        var (exit, _, error) = DotnetOci.Run("copy", "--skip-attached", $"docker://{proxy.Host}/lib/once:1", $"oci:{copy}:1");

        Assert.True(exit == 0, error);
        Assert.Equal(TestImages.ManifestDigest(layout), TestImages.ManifestDigest(copy));
        // The tag's answer is the manifest (its digest computed from those bytes): not asked for again by digest.
        Assert.Equal(["/v2/lib/once/manifests/1"], manifestGets);
    }

    [Fact]
    public void Basic_auth_with_docker_config_credentials_and_a_credential_helper()
    {
        using var registry = new RegistryServer(RegistryServer.AuthMode.Htpasswd);
        using var harness = new EngineHarness();
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Cache, 16 * 1024);

        // ~/.docker/config.json with an auths entry for exactly this host.
        var dockerDir = Path.Combine(harness.Home, ".docker");
        Directory.CreateDirectory(dockerDir);
        var auth = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"alice:{RegistryServer.Users["alice"]}"));
        File.WriteAllText(Path.Combine(dockerDir, "config.json"),
            "{\"auths\":{\"http://" + registry.Host + "/v1/\":{\"auth\":\"" + auth + "\"},\"other.example.com\":{\"auth\":\"eDp5\"}}}");
        var pushed = harness.Push(layout, registry.Host, "lib/basic", "1");
        Assert.Equal(2, pushed.Push.Count(BlobOutcome.Uploaded));

        // A credential helper named in credHelpers (a tiny script speaking the helper protocol) for this host.
        var bin = harness.Combine("bin");
        Directory.CreateDirectory(bin);
        var helper = Path.Combine(bin, "docker-credential-ocitest");
        File.WriteAllText(helper, $"#!/bin/sh\nread host\n[ \"$host\" = \"{registry.Host}\" ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\n" +
                                  $"echo '{{\"ServerURL\":\"{registry.Host}\",\"Username\":\"bob\",\"Secret\":\"{RegistryServer.Users["bob"]}\"}}'\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(helper, (UnixFileMode)0b111_101_101);
        var dockerConfig = harness.Combine("docker-config");
        Directory.CreateDirectory(dockerConfig);
        File.WriteAllText(Path.Combine(dockerConfig, "config.json"), "{\"credHelpers\":{\"" + registry.Host + "\":\"ocitest\"}}");
        harness.Environment["DOCKER_CONFIG"] = dockerConfig;
        var originalPath = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", bin + ":" + originalPath);
        try
        {
            var again = harness.Push(layout, registry.Host, "lib/helper", "1");
            Assert.Equal(2, again.Push.Count(BlobOutcome.Mounted) + again.Push.Count(BlobOutcome.Uploaded));
            Assert.Contains("bob", registry.WaitForLog("/v2/lib/helper/manifests/1", 0));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", originalPath);
        }
        Assert.DoesNotContain(RegistryServer.Users["alice"], harness.Log.Text);
        Assert.DoesNotContain(RegistryServer.Users["bob"], harness.Log.Text);
    }

    [Fact]
    public void A_TLS_registry_with_a_private_CA_is_refused_by_default_and_accepted_with_the_CA_configured()
    {
        using var harness = new EngineHarness();
        var pki = new TestPki(harness.Combine("pki"));
        var (cert, key, _) = pki.IssueServer("registry");
        using var registry = new RegistryServer(tls: (cert, key));
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Cache, 8 * 1024);

        var refused = Assert.Throws<OciException>(() => harness.Push(layout, registry.Host, "lib/tls", "1"));
        Assert.Equal(ErrorCodes.RegistryTlsFailed, refused.Code);
        Assert.Contains("hosts.toml", refused.Message);

        var hosts = harness.Combine("hosts.d");
        Directory.CreateDirectory(Path.Combine(hosts, registry.Host));
        File.WriteAllText(Path.Combine(hosts, registry.Host, "hosts.toml"), $"server = \"https://{registry.Host}\"\nca = \"{pki.CaFile}\"\n");
        harness.HostsDirectory = hosts;
        var pushed = harness.Push(layout, registry.Host, "lib/tls", "1");
        Assert.Equal(TestImages.ManifestDigest(layout), pushed.ManifestDigest);
        using var pulled = harness.Pull($"{registry.Host}/lib/tls:1");
        Assert.Equal(pushed.ManifestDigest, pulled.ManifestDescriptor!.Digest);

        // DOTNET_CONTAINER_INSECURE_REGISTRIES: no verification for that host (a test registry only).
        harness.HostsDirectory = null;
        harness.Environment["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = "example.invalid," + registry.Host;
        Assert.Equal(0, harness.Push(layout, registry.Host, "lib/tls", "1").Push.BytesUploaded);
    }

    [Fact]
    public void A_plain_HTTP_registry_on_a_loopback_address_is_reached_without_a_TLS_attempt_and_a_TLS_one_still_over_TLS()
    {
        using var harness = new EngineHarness();
        var schemes = new ConcurrentQueue<string>();
        harness.Transport = harness.Transport with { WrapHandler = inner => new RecordingHandler(inner, schemes) };
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Cache, 8 * 1024);

        // A plain HTTP registry on 127.0.0.1 (CI's local registry): plain HTTP is asked first, so no request is ever https.
        using (var plain = new RegistryServer())
        {
            harness.Push(layout, plain.Host, "lib/plain", "1");
            using var pulled = harness.Pull($"{plain.Host}/lib/plain:1");
            Assert.Equal(TestImages.ManifestDigest(layout), pulled.ManifestDescriptor!.Digest);
            Assert.NotEmpty(schemes);
            Assert.All(schemes, s => Assert.Equal("http", s));
        }

        // A TLS registry on a loopback address answers that plain request 400: it is still reached over TLS (here not
        // verified, as the insecure list asks), never over plain HTTP.
        var pki = new TestPki(harness.Combine("pki"));
        var (cert, key, _) = pki.IssueServer("registry");
        using var tls = new RegistryServer(tls: (cert, key));
        harness.Environment["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = tls.Host;
        schemes.Clear();
        var pushed = harness.Push(layout, tls.Host, "lib/tls", "1");
        Assert.Equal(TestImages.ManifestDigest(layout), pushed.ManifestDigest);
        Assert.Equal("http", schemes.First());           // the one plain question, refused
        Assert.All(schemes.Skip(1), s => Assert.Equal("https", s));
        Assert.Contains(schemes, s => s == "https");
    }

    /// <summary>Records the scheme of every request the engine sends, then lets it through.</summary>
    private sealed class RecordingHandler(HttpMessageHandler inner, System.Collections.Concurrent.ConcurrentQueue<string> schemes) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            schemes.Enqueue(request.RequestUri!.Scheme);
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public void Chunked_uploads_resume_after_resets_and_retry_5xx_and_429()
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        var faults = new FaultInjector();
        harness.Transport = harness.Transport with { WrapHandler = inner => new FaultingHandler(inner, faults) };
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Cache, 600 * 1024); // 5 chunks of 128 KiB

        faults.FailPatchNumber = 3;          // the third PATCH dies with a connection reset halfway
        faults.TooManyRequestsOnFirstHead = true;
        faults.ServerErrorOnFirstManifestPut = true;
        var result = harness.Push(layout, registry.Host, "lib/resume", "1");

        var layer = Assert.Single(result.Push.Blobs, b => b.Descriptor.Size > 500 * 1024);
        Assert.Equal(BlobOutcome.Uploaded, layer.Outcome);
        Assert.True(harness.Log.Text.Contains("resuming"), harness.Log.Text);
        // Resumed, not restarted: fewer bytes than two full uploads (a restart would send the first chunks again).
        Assert.InRange(layer.BytesSent, layer.Descriptor.Size, layer.Descriptor.Size + 128 * 1024);
        Assert.True(faults.TooManyRequestsSent && faults.ServerErrorSent);
        // The registry holds exactly the right bytes.
        var copy = harness.Combine("copy");
        ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", "--preserve-digests", $"docker://{registry.Host}/lib/resume:1", $"oci:{copy}:x").EnsureSuccess("skopeo copy");
        Assert.Equal(TestImages.ManifestDigest(layout), TestImages.ManifestDigest(copy));
    }

    public sealed class FaultInjector
    {
        public int FailPatchNumber { get; set; }
        public bool TooManyRequestsOnFirstHead { get; set; }
        public bool ServerErrorOnFirstManifestPut { get; set; }
        public bool TooManyRequestsSent { get; set; }
        public bool ServerErrorSent { get; set; }
        public int Patches;
    }

    /// <summary>Sits between the engine and the network: lets requests reach the real registry, then breaks some answers.</summary>
    private sealed class FaultingHandler(HttpMessageHandler inner, FaultInjector faults) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (faults.TooManyRequestsOnFirstHead && !faults.TooManyRequestsSent && request.Method == HttpMethod.Head && path.Contains("/blobs/"))
            {
                faults.TooManyRequestsSent = true;
                var busy = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { RequestMessage = request };
                busy.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
                return busy;
            }
            if (faults.ServerErrorOnFirstManifestPut && !faults.ServerErrorSent && request.Method == HttpMethod.Put && path.Contains("/manifests/"))
            {
                faults.ServerErrorSent = true;
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request };
            }
            if (request.Method == HttpMethod.Patch && Interlocked.Increment(ref faults.Patches) == faults.FailPatchNumber)
            {
                // Half the chunk goes out, then the connection drops: the registry keeps nothing of this chunk.
                await using var body = await request.Content!.ReadAsStreamAsync(cancellationToken);
                await body.ReadExactlyAsync(new byte[64 * 1024], cancellationToken);
                throw new HttpRequestException("injected: connection reset by peer", new IOException("Connection reset by peer"));
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
