using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Oci.Build.Tests.Serve;

/// <summary>One `dotnet oci serve` process over <see cref="ServedImages"/> for the whole class, plain HTTP on loopback, JSON logs.</summary>
public sealed class ServeFixture : IDisposable
{
    public ServeFixture()
    {
        Images = new ServedImages();
        Server = new ServeProcess([.. Images.Locations, "--json"]);
    }

    public ServedImages Images { get; }
    public ServeProcess Server { get; }

    public void Dispose()
    {
        Server.Dispose();
        Images.Dispose();
    }
}

/// <summary>
/// `dotnet oci serve` answers real clients: skopeo copies every image, podman pulls, containerd pulls over plain HTTP and
/// runs the image; curl resumes a blob with Range; a blob is served only through a repository that references it (seed
/// 001); the distribution API's listing, pagination and write refusals; and a bounded load of parallel pulls.
/// </summary>
public sealed class ServeTests(ServeFixture fixture, ITestOutputHelper output) : IClassFixture<ServeFixture>
{
    private ServedImages Images => fixture.Images;
    private string Host => fixture.Server.Host;

    [Fact]
    public void Skopeo_copies_every_served_image_with_all_and_the_digests_are_the_served_ones()
    {
        using var temp = new TempDirectory("serve-skopeo");
        foreach (var (reference, digest) in Images.All)
        {
            var target = temp.Combine(reference.Replace('/', '-').Replace(':', '-'));
            ProcessRunner.Run("skopeo", "copy", "--all", "--src-tls-verify=false", $"docker://{Host}/{reference}", $"oci:{target}:x").EnsureSuccess($"skopeo copy {reference}");
            Assert.Equal(digest, OciLayout.Open(target).Index.Manifests.Single().Digest);
        }
    }

    [Fact]
    public void Podman_pulls_the_served_image()
    {
        using var temp = new TempDirectory("serve-podman");
        // podman refuses a runroot path over 50 characters: a short one of our own, removed afterwards.
        var runroot = Path.Combine("/tmp", "p" + Guid.NewGuid().ToString("N")[..10]);
        using var cleanup = new Cleanup(() => { if (Directory.Exists(runroot)) Directory.Delete(runroot, recursive: true); });
        string[] podman = ["--root", temp.Combine("root"), "--runroot", runroot, "--storage-driver", "vfs"];
        ProcessRunner.Run("podman", [.. podman, "pull", "--tls-verify=false", $"{Host}/samples/web:1.0"], timeout: TimeSpan.FromMinutes(2)).EnsureSuccess("podman pull");
        var digest = ProcessRunner.Run("podman", [.. podman, "image", "inspect", "--format", "{{.Digest}}", $"{Host}/samples/web:1.0"]).EnsureSuccess("podman image inspect").StandardOutput.Trim();
        Assert.Equal(Images.Web.Manifest.Digest.ToString(), digest);
    }

    [Fact]
    public void Containerd_pulls_over_plain_http_and_runs_the_served_image()
    {
        using var containerd = new Containerd();
        var reference = $"{Host}/samples/web:1.0";
        containerd.Pull(reference);
        Assert.Contains(Images.Web.Manifest.Digest.ToString(), containerd.Ctr("images", "ls").EnsureSuccess("ctr images ls").StandardOutput);
        using var container = containerd.Run(reference, Images.WebPort);
        var (status, body) = container.Get("/");
        Assert.Equal(200, status);
        Assert.Contains("Hello from a served image", body);
    }

    [Fact]
    public void Curl_resumes_an_interrupted_blob_download_with_Range_and_gets_the_exact_blob()
    {
        using var temp = new TempDirectory("serve-range");
        var layer = Images.DataManifest.Layers.Single();
        var url = $"http://{Host}/v2/tools/data/blobs/{layer.Digest}";
        var file = temp.Combine("layer");
        // The first 300000 bytes, as if the transfer broke there; then `curl -C -` asks for the rest from the file's size.
        ProcessRunner.Run("curl", "-sSf", "-r", "0-299999", "-o", file, url).EnsureSuccess("curl first part");
        Assert.Equal(300_000, new FileInfo(file).Length);
        var resumed = ProcessRunner.Run("curl", "-sSf", "-C", "-", "-o", file, "-w", "%{http_code}", url).EnsureSuccess("curl resume");
        Assert.Equal("206", resumed.StandardOutput.Trim());
        Assert.Equal(layer.Size, new FileInfo(file).Length);
        Assert.Equal(layer.Digest.Hex, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));

        using var client = new HttpClient();
        using var beyond = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new System.Net.Http.Headers.RangeHeaderValue(layer.Size, null) } };
        using var answer = client.Send(beyond);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, answer.StatusCode);
        Assert.Equal($"bytes */{layer.Size}", answer.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public void A_blob_of_one_repository_is_unknown_through_another_even_by_its_exact_digest()
    {
        // Seed 001's steps: pick a layer of repository A, then HEAD and GET it through repository B.
        var layer = Images.DataManifest.Layers.Single().Digest;
        using var client = new HttpClient { BaseAddress = new Uri($"http://{Host}") };
        using (var head = client.Send(new HttpRequestMessage(HttpMethod.Head, $"/v2/samples/web/blobs/{layer}")))
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using (var get = client.Send(new HttpRequestMessage(HttpMethod.Get, $"/v2/samples/web/blobs/{layer}")))
        {
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            Assert.Equal("BLOB_UNKNOWN", JsonNode.Parse(get.Content.ReadAsStream())!["errors"]![0]!["code"]!.GetValue<string>());
        }
        // The other way round too, and the owner serves it.
        var webLayer = Images.WebManifest.Layers.Single().Digest;
        using (var head = client.Send(new HttpRequestMessage(HttpMethod.Head, $"/v2/tools/data/blobs/{webLayer}")))
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using (var owner = client.Send(new HttpRequestMessage(HttpMethod.Head, $"/v2/tools/data/blobs/{layer}")))
        {
            Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
            Assert.Equal(layer.ToString(), owner.Headers.GetValues("Docker-Content-Digest").Single());
        }
        // The manifest of one repository is unknown through the other as well.
        using (var manifest = client.Send(new HttpRequestMessage(HttpMethod.Head, $"/v2/samples/web/manifests/{Images.Data.Manifest.Digest}")))
            Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
    }

    [Fact]
    public async Task The_pull_api_lists_paginates_names_media_types_and_refuses_writes_with_the_specs_error()
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://{Host}") };
        using (var root = await client.GetAsync("/v2/"))
        {
            Assert.Equal(HttpStatusCode.OK, root.StatusCode);
            Assert.Equal("registry/2.0", root.Headers.GetValues("Docker-Distribution-Api-Version").Single());
        }
        // _catalog: the images' original repositories (the archive's full reference without its host; NAME= for the layout).
        using (var first = await client.GetAsync("/v2/_catalog?n=1"))
        {
            Assert.Equal(["samples/web"], Names(first, "repositories"));
            Assert.Equal("</v2/_catalog?n=1&last=samples%2Fweb>; rel=\"next\"", first.Headers.GetValues("Link").Single());
        }
        using (var second = await client.GetAsync("/v2/_catalog?n=1&last=samples%2Fweb"))
        {
            Assert.Equal(["tools/data"], Names(second, "repositories"));
            Assert.False(second.Headers.Contains("Link"));
        }
        using (var tags = await client.GetAsync("/v2/samples/web/tags/list"))
            Assert.Equal(["1.0"], Names(tags, "tags"));

        using (var manifest = client.Send(new HttpRequestMessage(HttpMethod.Head, "/v2/samples/web/manifests/1.0")))
        {
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
            Assert.Equal(MediaTypes.OciManifest, manifest.Content.Headers.ContentType!.MediaType);
            Assert.Equal(Images.Web.Manifest.Digest.ToString(), manifest.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(Images.Web.Manifest.Size, manifest.Content.Headers.ContentLength);
        }
        using (var unknown = await client.GetAsync("/v2/samples/web/manifests/2.0"))
            Assert.Equal("MANIFEST_UNKNOWN", Code(unknown));

        foreach (var (method, path) in new[] { ("PUT", "/v2/samples/web/manifests/2.0"), ("POST", "/v2/samples/web/blobs/uploads/"), ("DELETE", $"/v2/samples/web/manifests/{Images.Web.Manifest.Digest}"), ("PATCH", "/v2/samples/web/blobs/uploads/x") })
        {
            using var write = client.Send(new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent([1, 2, 3]) });
            Assert.Equal(HttpStatusCode.MethodNotAllowed, write.StatusCode);
            Assert.Equal("UNSUPPORTED", Code(write));
        }
        // One JSON log line per request, none carrying credentials.
        var logged = fixture.Server.ErrorOnce(l => l.Contains("\"PUT\"", StringComparison.Ordinal)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Contains(logged, l => l["method"]!.GetValue<string>() == "PUT" && l["status"]!.GetValue<int>() == 405 && l["path"]!.GetValue<string>() == "/v2/samples/web/manifests/2.0");
    }

    [Fact]
    public async Task Twenty_parallel_pulls_three_rounds_all_verified_by_skopeo_with_the_servers_memory_recorded()
    {
        using var temp = new TempDirectory("serve-load");
        var before = fixture.Server.Memory();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var round = 0; round < 3; round++)
        {
            var pulls = Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            {
                var (reference, digest) = Images.All[i % Images.All.Count];
                var target = temp.Combine($"r{round}-{i}");
                ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", $"docker://{Host}/{reference}", $"oci:{target}:x").EnsureSuccess($"skopeo copy {reference} ({round}/{i})");
                return OciLayout.Open(target).Index.Manifests.Single().Digest == digest;
            })).ToArray();
            Assert.All(await Task.WhenAll(pulls), Assert.True);
            foreach (var directory in Directory.EnumerateDirectories(temp.Path)) Directory.Delete(directory, recursive: true);
        }
        var after = fixture.Server.Memory();
        var bytes = 3 * 10 * (Images.WebManifest.Layers.Single().Size + Images.DataManifest.Layers.Single().Size);
        output.WriteLine($"60 pulls ({ByteSize.Format(bytes)} of layers) in {clock.Elapsed.TotalSeconds:F1} s; server RSS {before.Current / 1024} MiB before, {after.Current / 1024} MiB after, peak {after.Peak / 1024} MiB");
    }

    private sealed class Cleanup(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    private static List<string> Names(HttpResponseMessage response, string field) =>
        JsonNode.Parse(response.Content.ReadAsStream())![field]!.AsArray().Select(n => n!.GetValue<string>()).ToList();

    private static string Code(HttpResponseMessage response) => JsonNode.Parse(response.Content.ReadAsStream())!["errors"]![0]!["code"]!.GetValue<string>();
}
