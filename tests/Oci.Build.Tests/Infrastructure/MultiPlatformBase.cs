using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>
/// A multi-platform base image shaped like <c>mcr.microsoft.com/dotnet/runtime-deps:10.0</c>, pushed to a test registry:
/// an index (a Docker manifest list with Docker v2 schema 2 manifests and media types, or an OCI image index) with
/// <c>linux/amd64</c> (any single-manifest layout given, usually the runnable offline base the samples build, see
/// <see cref="BuildSampleBase"/>), <c>linux/arm64/v8</c> and <c>linux/arm/v7</c> (small images of their own), and one
/// attestation manifest per image (<c>unknown/unknown</c>, <c>vnd.docker.reference.type: attestation-manifest</c>), as
/// buildx writes them.
/// <para>
/// Usage: <c>var pushed = MultiPlatformBase.Push(registry, MultiPlatformBase.BuildSampleBase(sample), MultiPlatformBase.Shape.OciIndex);</c>
/// then build FROM <c>pushed.Reference</c>. It is written with plain HTTP requests (not the engine), so it tests the
/// engine's reading against an independent writer. The registry must accept anonymous pushes.
/// </para>
/// </summary>
public static class MultiPlatformBase
{
    public enum Shape
    {
        /// <summary>A Docker manifest list of Docker v2 schema 2 manifests (Docker media types for configs and layers).</summary>
        DockerManifestList,
        /// <summary>An OCI image index of OCI manifests.</summary>
        OciIndex,
        /// <summary>An OCI image index whose arm entries sit in a nested index (amd64 stays at the top).</summary>
        NestedOciIndex,
    }

    /// <summary>What was pushed: the tag reference, the root index and each platform's manifest (keys like <c>linux/arm64/v8</c>).</summary>
    public sealed record Pushed(string Reference, Descriptor Index, IReadOnlyDictionary<string, Descriptor> Manifests, IReadOnlyList<Descriptor> Attestations);

    /// <summary>
    /// Builds the samples' runnable offline base (samples/LocalBaseImage.targets, target <c>OciSampleLocalBase</c>) for the
    /// copy of a sample and returns its layout (tag <c>runtime-deps</c>).
    /// </summary>
    public static string BuildSampleBase(SampleProject sample)
    {
        ProcessRunner.Run("dotnet", ["msbuild", sample.ProjectFile, "-restore", "-t:ResolveProjectReferences;OciSampleLocalBase", "-p:Configuration=Release", "-nodeReuse:false", "-v:m"],
            sample.Directory, new Dictionary<string, string?> { ["OCI_BUILD_CACHE"] = sample.CacheDirectory, ["MSBUILDDISABLENODEREUSE"] = "1", ["SOURCE_DATE_EPOCH"] = null },
            timeout: TimeSpan.FromMinutes(5)).EnsureSuccess("build the samples' local base");
        return sample.Combine("obj", "oci-base");
    }

    /// <summary>Pushes the base to <paramref name="registry"/> as <c>HOST/REPOSITORY:TAG</c>; amd64 is the one manifest of <paramref name="amd64Layout"/>.</summary>
    public static Pushed Push(RegistryServer registry, string amd64Layout, Shape shape, string repository = "dotnet/runtime-deps", string tag = "10.0")
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{registry.Host}/v2/{repository}/") };
        var docker = shape == Shape.DockerManifestList;
        var manifests = new Dictionary<string, Descriptor>();
        var attestations = new List<Descriptor>();

        // linux/amd64: the given layout's image, its blobs byte for byte; the manifest rewritten with Docker media types for a list.
        var layout = OciLayout.Open(amd64Layout);
        var amd64Entry = layout.Index.Manifests.Single();
        var amd64Manifest = JsonNode.Parse(layout.ReadDocument(amd64Entry, "manifest"))!.AsObject();
        var config = OciJson.Deserialize<Descriptor>(Encoding.UTF8.GetBytes(amd64Manifest["config"]!.ToJsonString()), "config");
        PutBlob(http, layout.ReadDocument(config, "config"));
        foreach (var layer in amd64Manifest["layers"]!.AsArray())
        {
            var descriptor = OciJson.Deserialize<Descriptor>(Encoding.UTF8.GetBytes(layer!.ToJsonString()), "layer");
            using var stream = layout.OpenBlob(descriptor);
            PutBlob(http, ReadAll(stream));
        }
        manifests["linux/amd64"] = PutManifest(http, docker ? ToDocker(amd64Manifest) : amd64Manifest, Amd64);

        // linux/arm64/v8 and linux/arm/v7: one small layer each, configs that say their platform.
        foreach (var platform in new[] { Arm64, Arm })
            manifests[platform.ToString()] = PutManifest(http, SmallImage(http, platform, docker), platform);

        foreach (var image in manifests.Values)
            attestations.Add(PutAttestation(http, image));

        var entries = new JsonArray();
        var nested = new JsonArray();
        foreach (var (name, descriptor) in manifests)
        {
            var target = shape == Shape.NestedOciIndex && name != "linux/amd64" ? nested : entries;
            target.Add(Entry(descriptor));
        }
        foreach (var attestation in attestations) entries.Add(Entry(attestation));
        if (shape == Shape.NestedOciIndex)
        {
            var child = Document(MediaTypes.OciIndex, new JsonObject { ["manifests"] = nested });
            entries.Add(Entry(PutDocument(http, child, MediaTypes.OciIndex, null)));
        }
        var indexType = docker ? MediaTypes.DockerManifestList : MediaTypes.OciIndex;
        var index = PutDocument(http, Document(indexType, new JsonObject { ["manifests"] = entries }), indexType, tag);
        return new Pushed($"{registry.Host}/{repository}:{tag}", index, manifests, attestations);
    }

    public static readonly Platform Amd64 = new() { Os = "linux", Architecture = "amd64" };
    public static readonly Platform Arm64 = new() { Os = "linux", Architecture = "arm64", Variant = "v8" };
    public static readonly Platform Arm = new() { Os = "linux", Architecture = "arm", Variant = "v7" };

    private const string AttestationType = "vnd.docker.reference.type";

    private static JsonObject Document(string mediaType, JsonObject body)
    {
        var document = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = mediaType };
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            document[key] = value;
        }
        return document;
    }

    private static JsonObject Entry(Descriptor descriptor) => JsonNode.Parse(OciJson.Serialize(descriptor))!.AsObject();

    private static JsonObject ToDocker(JsonObject manifest)
    {
        var docker = JsonNode.Parse(manifest.ToJsonString())!.AsObject();
        docker["mediaType"] = MediaTypes.DockerManifest;
        docker.Remove("annotations");
        docker["config"]!["mediaType"] = MediaTypes.DockerConfig;
        foreach (var layer in docker["layers"]!.AsArray())
        {
            layer!["mediaType"] = layer["mediaType"]!.GetValue<string>() == MediaTypes.OciLayerGzip
                ? MediaTypes.DockerLayerGzip
                : throw new InvalidOperationException("Docker manifests carry gzip layers only; build the amd64 base with gzip.");
            layer.AsObject().Remove("annotations");
        }
        return docker;
    }

    private static JsonObject SmallImage(HttpClient http, Platform platform, bool docker)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var entry = new UstarTarEntry(TarEntryType.RegularFile, "etc/platform")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(platform + "\n")),
                ModificationTime = DateTimeOffset.UnixEpoch,
                Mode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            };
            writer.WriteEntry(entry);
        }
        var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(tar.ToArray());
        var layer = gzipped.ToArray();
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = platform.Architecture,
            ["os"] = platform.Os,
            ["variant"] = platform.Variant,
            ["config"] = new JsonObject { ["Env"] = new JsonArray("PATH=/usr/bin:/bin") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Digest.Of(tar.ToArray()).ToString()) },
        }.ToJsonString());
        PutBlob(http, layer);
        PutBlob(http, config);
        return Document(docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest, new JsonObject
        {
            ["config"] = Entry(new Descriptor { MediaType = docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Digest = Digest.Of(config), Size = config.Length }),
            ["layers"] = new JsonArray(Entry(new Descriptor { MediaType = docker ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip, Digest = Digest.Of(layer), Size = layer.Length })),
        });
    }

    /// <summary>An in-toto attestation for <paramref name="image"/>, as buildx attaches one to every image of an index.</summary>
    private static Descriptor PutAttestation(HttpClient http, Descriptor image)
    {
        var statement = Encoding.UTF8.GetBytes($$$"""{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":[{"name":"runtime-deps","digest":{"sha256":"{{{image.Digest.Hex}}}"}}],"predicate":{}}""");
        var config = Encoding.UTF8.GetBytes("""{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}""");
        PutBlob(http, statement);
        PutBlob(http, config);
        var manifest = Document(MediaTypes.OciManifest, new JsonObject
        {
            ["config"] = Entry(new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Of(config), Size = config.Length }),
            ["layers"] = new JsonArray(Entry(new Descriptor
            {
                MediaType = "application/vnd.in-toto+json", Digest = Digest.Of(statement), Size = statement.Length,
                Annotations = new Dictionary<string, string> { ["in-toto.io/predicate-type"] = "https://slsa.dev/provenance/v0.2" },
            })),
        });
        var descriptor = PutDocument(http, manifest, MediaTypes.OciManifest, null);
        return descriptor with
        {
            Platform = new Platform { Os = "unknown", Architecture = "unknown" },
            Annotations = new Dictionary<string, string> { [AttestationType] = "attestation-manifest", ["vnd.docker.reference.digest"] = image.Digest.ToString() },
        };
    }

    private static Descriptor PutManifest(HttpClient http, JsonObject manifest, Platform platform) =>
        PutDocument(http, manifest, manifest["mediaType"]!.GetValue<string>(), null) with { Platform = platform };

    /// <summary>PUT /manifests/&lt;digest or tag&gt; with the exact bytes whose digest the descriptor names.</summary>
    private static Descriptor PutDocument(HttpClient http, JsonObject document, string mediaType, string? tag)
    {
        var bytes = Encoding.UTF8.GetBytes(document.ToJsonString());
        var digest = Digest.Of(bytes);
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = http.PutAsync($"manifests/{tag ?? digest.ToString()}", content).GetAwaiter().GetResult();
        Ensure(response, HttpStatusCode.Created, $"PUT manifest {tag ?? digest.ToString()}");
        return new Descriptor { MediaType = mediaType, Digest = digest, Size = bytes.Length };
    }

    /// <summary>A monolithic upload: POST /blobs/uploads/, then PUT the bytes with their digest.</summary>
    private static void PutBlob(HttpClient http, byte[] bytes)
    {
        using var start = http.PostAsync("blobs/uploads/", null).GetAwaiter().GetResult();
        Ensure(start, HttpStatusCode.Accepted, "start a blob upload");
        var location = start.Headers.Location!;
        var target = location.IsAbsoluteUri ? location : new Uri(http.BaseAddress!, location);
        var separator = target.Query.Length > 0 ? "&" : "?";
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = http.PutAsync(new Uri(target + $"{separator}digest={Uri.EscapeDataString(Digest.Of(bytes).ToString())}"), content).GetAwaiter().GetResult();
        Ensure(put, HttpStatusCode.Created, $"PUT blob {Digest.Of(bytes)}");
    }

    private static void Ensure(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        if (response.StatusCode != expected)
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
