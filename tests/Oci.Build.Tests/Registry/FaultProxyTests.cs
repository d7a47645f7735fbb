using System.Diagnostics;
using Oci.Build.Oci;
using Oci.Build.Registry.Transport;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// Pulls and pushes through a <see cref="FaultProxy"/> in front of a real docker-registry: the engine survives resets,
/// truncations, stalls, 5xx and 429 by retrying and resuming, or fails with a coded error in bounded time; the registry
/// is never left with a manifest whose blobs are missing, and a rerun completes.
/// </summary>
public sealed class FaultProxyTests
{
    private const int LayerSize = 600 * 1024;

    /// <summary>A harness with short timeouts: a stalled body fails after 1 s, backoff is capped at 1 s.</summary>
    private static EngineHarness Harness() => new()
    {
        Transport = new RegistryTransportOptions
        {
            BodyIdleTimeout = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(10),
            Retry = RetryPolicy.Default with { InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromSeconds(1) },
        },
    };

    /// <summary>Pushes a one-layer base image straight to the registry (no proxy) and returns its layer digest.</summary>
    private static Digest Seed(EngineHarness harness, RegistryServer registry, string repository)
    {
        var layout = harness.Combine("seed-" + repository.Replace('/', '-'));
        var built = TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), LayerSize);
        harness.Push(layout, registry.Host, repository, "1");
        Directory.Delete(harness.Cache, recursive: true);
        Directory.CreateDirectory(harness.Cache);
        return built.Layers[0].Descriptor.Digest;
    }

    private static bool IsLayer(ProxiedRequest request, Digest layer) => request.IsBlobGet && request.Path.EndsWith(layer.ToString(), StringComparison.Ordinal);

    [Fact]
    public void A_pull_survives_a_reset_a_truncation_a_stall_5xx_and_429_by_resuming_with_Range()
    {
        using var harness = Harness();
        using var registry = new RegistryServer();
        var layer = Seed(harness, registry, "lib/flaky");
        using var proxy = new FaultProxy(registry.Host);
        var layerGets = 0;
        var manifestGets = 0;
        proxy.Rule = request =>
        {
            if (request.IsManifestGet)
                return Interlocked.Increment(ref manifestGets) switch
                {
                    1 => new Fault.Status(503),
                    2 => new Fault.Status(429, ("Retry-After", "1")),
                    3 => new Fault.Status(502),
                    _ => null,
                };
            if (!IsLayer(request, layer)) return null;
            return Interlocked.Increment(ref layerGets) switch
            {
                1 => new Fault.DropAfter(100 * 1024),       // reset mid-blob
                2 => new Fault.TruncateAfter(100 * 1024),   // a clean but short body
                3 => new Fault.StallAfter(100 * 1024),      // then nothing at all
                4 => new Fault.Status(500),
                _ => null,
            };
        };

        var watch = Stopwatch.StartNew();
        using var image = harness.Pull($"{proxy.Host}/lib/flaky:1");
        watch.Stop();

        var cached = harness.ContentStore.BlobPath(layer);
        Assert.True(File.Exists(cached), proxy.Describe());
        Assert.Equal(layer, Digest.OfFile(cached));
        // Resumed, not restarted: each retry of the layer asked for the bytes after those already read.
        var ranges = proxy.Exchanges.Where(e => e.Contains(layer.ToString(), StringComparison.Ordinal) && e.Contains("bytes=", StringComparison.Ordinal)).ToList();
        Assert.True(ranges.Count >= 3, proxy.Describe());
        Assert.Contains(ranges, e => e.Contains("bytes=102400-", StringComparison.Ordinal));
        Assert.Contains(ranges, e => e.Contains("bytes=204800-", StringComparison.Ordinal));
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void A_body_that_always_breaks_off_fails_as_truncated_and_one_that_always_stalls_as_stalled_within_bounded_time()
    {
        using var harness = Harness();
        using var registry = new RegistryServer();
        var layer = Seed(harness, registry, "lib/broken");
        using var proxy = new FaultProxy(registry.Host);

        proxy.Rule = request => IsLayer(request, layer) ? new Fault.TruncateAfter(1000) : null;
        var watch = Stopwatch.StartNew();
        var truncated = Assert.Throws<OciException>(() => harness.Pull($"{proxy.Host}/lib/broken:1"));
        Assert.Equal(ErrorCodes.RegistryBodyTruncated, truncated.Code);
        // Every resume brought 1000 more bytes, so it kept going, up to the cap on resumes in all.
        Assert.Contains("after 65000 of", truncated.Message);
        Assert.DoesNotContain("could not be reached", truncated.Message);

        // 1000 bytes, then nothing; every resume stalls at once (no progress: five attempts, then the coded error).
        proxy.Rule = request => IsLayer(request, layer) ? new Fault.StallAfter(request.Range is null ? 1000 : 0) : null;
        var stalled = Assert.Throws<OciException>(() => harness.Pull($"{proxy.Host}/lib/broken:1"));
        Assert.Equal(ErrorCodes.RegistryBodyStalled, stalled.Code);
        watch.Stop();
        // 5 attempts x (1 s idle + at most 1 s backoff) for the stall, a few seconds for the 65 truncated resumes: bounded,
        // where a client without idle limits would wait forever. The bound leaves room for a loaded CI machine.
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(90));

        // Nothing half-downloaded reached the cache; without the faults the same pull completes.
        Assert.False(File.Exists(harness.ContentStore.BlobPath(layer)));
        var temp = Path.Combine(harness.Cache, "tmp");
        Assert.Empty(Directory.Exists(temp) ? Directory.GetFiles(temp) : []);
        proxy.Rule = _ => null;
        using var image = harness.Pull($"{proxy.Host}/lib/broken:1");
        Assert.Equal(layer, Digest.OfFile(harness.ContentStore.BlobPath(layer)));
    }

    [Fact]
    public void A_wrong_Docker_Content_Digest_on_a_blob_is_refused()
    {
        using var harness = Harness();
        using var registry = new RegistryServer();
        var layer = Seed(harness, registry, "lib/liar");
        using var proxy = new FaultProxy(registry.Host);
        proxy.Rule = request => IsLayer(request, layer) ? new Fault.WrongDigestHeader("sha256:" + new string('0', 64)) : null;

        var error = Assert.Throws<OciException>(() => harness.Pull($"{proxy.Host}/lib/liar:1"));
        Assert.Equal(ErrorCodes.RegistryDigestMismatch, error.Code);
        Assert.False(File.Exists(harness.ContentStore.BlobPath(layer)));
    }

    [Fact]
    public void A_huge_error_body_is_not_read_into_memory()
    {
        using var harness = Harness();
        using var registry = new RegistryServer();
        Seed(harness, registry, "lib/huge");
        using var proxy = new FaultProxy(registry.Host);
        proxy.Rule = request => request.IsManifestGet ? new Fault.HugeErrorBody(4_500_000_000) : null;

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<OciException>(() => harness.Pull($"{proxy.Host}/lib/huge:1"));
        watch.Stop();
        Assert.Equal(ErrorCodes.RegistryProtocolError, error.Code);
        Assert.Contains("500", error.Message);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(30));
        // Five attempts, each hung up after at most the socket buffers: far from 4.5 GB.
        Assert.InRange(proxy.ErrorBodyBytesSent, 0, 5 * 16L * 1024 * 1024);
        Assert.InRange(GC.GetTotalMemory(forceFullCollection: true) - before, long.MinValue, 64L * 1024 * 1024);
    }

    [Fact]
    public void A_push_survives_5xx_429_and_lost_answers_and_a_failed_push_leaves_no_manifest_and_a_rerun_completes()
    {
        using var harness = Harness();
        using var registry = new RegistryServer();
        using var proxy = new FaultProxy(registry.Host);
        var layout = harness.Combine("image");
        TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), LayerSize); // 5 chunks of 128 KiB
        var expected = TestImages.ManifestDigest(layout);

        // First: the manifest can never be written. The push fails, coded, in bounded time, and the tag does not exist.
        proxy.Rule = request => request.Method == "PUT" && request.Path.Contains("/manifests/") ? new Fault.Status(503) : null;
        var watch = Stopwatch.StartNew();
        var failed = Assert.ThrowsAny<OciException>(() => harness.Push(layout, proxy.Host, "lib/push", "1"));
        Assert.StartsWith("OCI2", failed.Code);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(60));
        Assert.Equal("404", Curl($"http://{registry.Host}/v2/lib/push/manifests/1"));

        // Then: every kind of transient fault once. The push completes through retries and resumed uploads.
        var seen = new HashSet<string>();
        bool Once(string key) { lock (seen) return seen.Add(key); }
        var patches = 0;
        proxy.Rule = request => request switch
        {
            { Method: "HEAD" } when request.Path.Contains("/blobs/") && Once("head") => new Fault.Status(500),
            { Method: "POST" } when Once("post") => new Fault.Status(503),
            { Method: "PATCH" } when Interlocked.Increment(ref patches) == 2 => new Fault.DropAfter(0), // the chunk arrived, its answer is lost
            { Method: "PATCH" } when patches == 4 && Once("patch502") => new Fault.Status(502),
            { Method: "PUT" } when request.Path.Contains("/manifests/") && Once("manifest") => new Fault.Status(429, ("Retry-After", "1")),
            _ => null,
        };
        var pushed = harness.Push(layout, proxy.Host, "lib/push", "1");
        Assert.Equal(expected, pushed.ManifestDigest);
        Assert.Contains("-> 429 (injected)", proxy.Describe());

        // The registry (read directly, by an independent client) holds the whole image, byte for byte.
        var copy = harness.Combine("copy");
        ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", "--preserve-digests", $"docker://{registry.Host}/lib/push:1", $"oci:{copy}:x")
            .EnsureSuccess("skopeo copy");
        Assert.Equal(expected, TestImages.ManifestDigest(copy));

        // A rerun through the same proxy completes and sends nothing again.
        proxy.Rule = _ => null;
        Assert.Equal(0, harness.Push(layout, proxy.Host, "lib/push", "1").Push.BytesUploaded);
    }

    [Fact]
    public void HelloOci_is_pushed_and_pulled_through_resets_stalls_and_5xx()
    {
        var hello = Integration.PublishedHelloOci.Shared;
        using var harness = Harness();
        using var registry = new RegistryServer();
        using var proxy = new FaultProxy(registry.Host);
        var largest = hello.Manifest.Layers.MaxBy(l => l.Size)!;
        var seen = new HashSet<string>();
        bool Once(string key) { lock (seen) return seen.Add(key); }
        var patches = 0;
        proxy.Rule = request => request switch
        {
            { Method: "POST" } when Once("post") => new Fault.Status(502),
            { Method: "PATCH" } when Interlocked.Increment(ref patches) == 3 => new Fault.DropAfter(0),
            { Method: "PUT" } when request.Path.Contains("/manifests/") && Once("manifest") => new Fault.Status(503),
            _ => null,
        };
        var pushed = harness.Push(hello.Sample.LayoutPath, proxy.Host, "samples/hello", "1.0.0");
        Assert.Equal(hello.ManifestDescriptor.Digest, pushed.ManifestDigest);

        proxy.Rule = request => !IsLayer(request, largest.Digest) ? null : request.Range switch
        {
            null when Once("drop") => new Fault.DropAfter(largest.Size / 3),
            { } when Once("stall") => new Fault.StallAfter(largest.Size / 10),
            { } when Once("truncate") => new Fault.TruncateAfter(1024 * 1024),
            _ => null,
        };
        using var pulled = harness.Pull($"{proxy.Host}/samples/hello:1.0.0");
        Assert.Equal(hello.ManifestDescriptor.Digest, pulled.ManifestDescriptor!.Digest);
        foreach (var layer in hello.Manifest.Layers)
            Assert.Equal(layer.Digest, Digest.OfFile(harness.ContentStore.BlobPath(layer.Digest)));
        Assert.True(seen.Contains("truncate"), proxy.Describe());
    }

    private static string Curl(string url) =>
        ProcessRunner.Run("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
            "Accept: application/vnd.oci.image.manifest.v1+json", url).StandardOutput.Trim();
}
