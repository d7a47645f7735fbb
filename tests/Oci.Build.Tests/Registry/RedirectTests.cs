using Oci.Build.Tests.Infrastructure;
using System.Collections.Concurrent;
using System.Text;
using Oci.Build.Store;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry.Transfer;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// Registries that hand blob bytes to storage on another host: a download answered with a redirect, an upload session
/// whose Location is elsewhere. The bytes must flow and be verified, and the registry's credentials must stay with the
/// registry (another port on 127.0.0.1 is another origin, exactly as another host would be).
/// </summary>
public sealed class RedirectTests
{
    private static readonly string AliceBasic =
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{RegistryServer.Users["alice"]}"));

    [Fact]
    public void A_blob_download_redirected_to_another_host_is_verified_and_the_other_host_gets_no_credentials()
    {
        using var harness = new EngineHarness().As("alice");
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 48 * 1024);
        var manifest = OciLayout.Open(layout).Index.Manifests[0];
        byte[] Blob(string digest) => File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]));

        var corrupt = false;
        using var storage = new ScriptedHttpServer(request =>
        {
            if (!request.Path.StartsWith("/storage/", StringComparison.Ordinal)) return ScriptedResponse.Of(404);
            var bytes = Blob(request.Path["/storage/".Length..]);
            if (corrupt) bytes[bytes.Length / 2] ^= 0xFF;
            return ScriptedResponse.Bytes(bytes, "application/octet-stream");
        });
        using var registry = new ScriptedHttpServer(request =>
        {
            if (request.Header("Authorization") != AliceBasic)
                return ScriptedResponse.Of(401, ("WWW-Authenticate", "Basic realm=\"scripted\""));
            if (request.Path == "/v2/lib/redir/manifests/1")
                return ScriptedResponse.Bytes(Blob(manifest.Digest.ToString()), MediaTypes.OciManifest, ("Docker-Content-Digest", manifest.Digest.ToString()));
            const string blobs = "/v2/lib/redir/blobs/";
            if (request.Path.StartsWith(blobs, StringComparison.Ordinal))
                return ScriptedResponse.Of(307, ("Location", $"http://{storage.Host}/storage/{request.Path[blobs.Length..]}?X-Signature=scripted"));
            return ScriptedResponse.Of(404);
        });

        using (var image = harness.Pull($"{registry.Host}/lib/redir:1"))
        {
            // Every blob came from storage, was verified on the way, and is in the cache with the right digest.
            var blobDigests = image.Layers.Select(l => l.Digest).Append(image.Manifest!.Config.Digest).ToList();
            foreach (var digest in blobDigests)
            {
                var cached = harness.ContentStore.BlobPath(digest);
                Assert.True(File.Exists(cached), $"{digest} is not cached");
                Assert.Equal(digest, Digest.Of(File.ReadAllBytes(cached)));
            }
            Assert.Equal(blobDigests.Select(d => $"/storage/{d}").Order(), storage.Requests.Select(r => r.Path).Distinct().Order());
        }

        // The registry got the credential on the blob requests it redirected; storage never got any.
        var redirected = registry.Requests.Where(r => r.Path.StartsWith("/v2/lib/redir/blobs/", StringComparison.Ordinal) && r.Header("Authorization") is not null).ToList();
        Assert.Equal(2, redirected.Count);
        Assert.All(redirected, r => Assert.Equal(AliceBasic, r.Header("Authorization")));
        Assert.All(storage.Requests, r => Assert.Null(r.Header("Authorization")));
        Assert.All(storage.Requests, r => Assert.DoesNotContain(RegistryServer.Users["alice"], string.Join("\n", r.Headers.Values)));

        // Redirected bytes are checked like any others: storage serving the wrong bytes is an error, nothing is cached.
        corrupt = true;
        using var fresh = new EngineHarness().As("alice");
        var error = Assert.Throws<OciException>(() => fresh.Pull($"{registry.Host}/lib/redir:1"));
        Assert.Equal(ErrorCodes.RegistryDigestMismatch, error.Code);
        Assert.DoesNotContain(RegistryServer.Users["alice"], error.Message + fresh.Log.Text + harness.Log.Text);
    }

    [Fact]
    public void An_upload_session_on_another_host_receives_the_bytes_but_no_credentials_and_no_registry_headers()
    {
        using var harness = new EngineHarness().As("alice");
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 20 * 1024);

        var stored = new ConcurrentDictionary<string, byte[]>();
        using var storage = new ScriptedHttpServer(request =>
        {
            if (request.Method != "PUT" || !request.Path.StartsWith("/upload/", StringComparison.Ordinal)) return ScriptedResponse.Of(405);
            var digest = request.Target.Split("digest=")[1].Split('&')[0].Replace("%3A", ":", StringComparison.OrdinalIgnoreCase);
            if (Digest.Of(request.Body).ToString() != digest) return ScriptedResponse.Of(400);
            stored[digest] = request.Body;
            return ScriptedResponse.Of(201);
        });
        var manifests = new ConcurrentDictionary<string, byte[]>();
        using var registry = new ScriptedHttpServer(request =>
        {
            if (request.Header("Authorization") != AliceBasic)
                return ScriptedResponse.Of(401, ("WWW-Authenticate", "Basic realm=\"scripted\""));
            if (request.Method == "HEAD") return ScriptedResponse.Of(404);
            if (request.Method == "POST" && request.Path == "/v2/lib/up/blobs/uploads/")
                return ScriptedResponse.Of(202, ("Location", $"http://{storage.Host}/upload/{Guid.NewGuid():N}?session=scripted"));
            if (request.Method == "PUT" && request.Path == "/v2/lib/up/manifests/1")
            {
                manifests["1"] = request.Body;
                return ScriptedResponse.Of(201, ("Docker-Content-Digest", Digest.Of(request.Body).ToString()));
            }
            return ScriptedResponse.Of(404);
        });

        // A hosts.toml header is for the registry it is configured for; blob storage elsewhere must not receive it either.
        var hosts = harness.Combine("hosts.d");
        Directory.CreateDirectory(Path.Combine(hosts, registry.Host));
        File.WriteAllText(Path.Combine(hosts, registry.Host, "hosts.toml"),
            $"server = \"http://{registry.Host}\"\n[header]\n  x-registry-key = \"registry-only-8R\"\n");
        harness.HostsDirectory = hosts;

        var result = harness.Push(layout, registry.Host, "lib/up", "1");

        Assert.Equal(2, result.Push.Count(BlobOutcome.Uploaded));
        Assert.Equal(2, stored.Count); // layer and config, each verified by storage against its digest
        Assert.Equal(result.ManifestDigest, Digest.Of(manifests["1"]));
        Assert.NotEmpty(storage.Requests);
        Assert.All(storage.Requests, r => Assert.Null(r.Header("Authorization")));
        Assert.All(storage.Requests, r => Assert.Null(r.Header("x-registry-key")));
        Assert.Contains(registry.Requests, r => r.Header("x-registry-key") == "registry-only-8R");
        Assert.DoesNotContain(RegistryServer.Users["alice"], harness.Log.Text);
    }
}
