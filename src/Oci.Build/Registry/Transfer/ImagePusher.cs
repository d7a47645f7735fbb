using System.Net;
using System.Net.Http.Headers;
using Oci.Build.Images;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry.Auth;

namespace Oci.Build.Registry.Transfer;

/// <summary>A manifest (or index) to push, and the tag to give it (null: by digest only).</summary>
public sealed record TaggedManifest(Descriptor Manifest, string? Tag);

public sealed record PushOptions
{
    /// <summary>Blobs uploaded at the same time.</summary>
    public int MaxParallelUploads { get; init; } = 3;
    public UploadOptions Upload { get; init; } = new();
}

/// <summary>What a push did, blob by blob; the totals are what the build log reports.</summary>
public sealed record PushResult(string Repository, IReadOnlyList<BlobPushResult> Blobs, IReadOnlyList<TaggedManifest> Manifests, int ManifestsWritten)
{
    public long BytesUploaded => Blobs.Sum(b => b.BytesSent);
    public int Count(BlobOutcome outcome) => Blobs.Count(b => b.Outcome == outcome);
}

/// <summary>
/// Pushes images from a blob source (an image layout) to one repository, in the order the distribution spec needs:
/// every layer (bounded parallelism: HEAD, mount, upload), then configs, then manifests byte for byte as they were
/// digested (children of an index first), tags last. A blob existing in some other repository counts for nothing.
/// </summary>
public sealed class ImagePusher(RegistryClient client, IBuildLog log, PushOptions? options = null)
{
    private readonly PushOptions _options = options ?? new PushOptions();

    /// <param name="mountSources">Repositories on the same registry that may already hold some blobs (the base image's).</param>
    public async Task<PushResult> PushAsync(IBlobSource source, string repository, IReadOnlyList<TaggedManifest> manifests,
        IReadOnlyList<string> mountSources, CancellationToken cancellationToken)
    {
        var sources = mountSources.Where(s => s != repository).Distinct().ToList();
        // The target's push,pull first: some registries read only the first scope.
        IReadOnlyList<RegistryScope> scopes = [RegistryScope.PushPull(repository), .. sources.Select(RegistryScope.Pull)];

        var plan = new PushPlan(source);
        foreach (var manifest in manifests.Select(m => m.Manifest).DistinctBy(m => m.Digest)) plan.Add(manifest);

        var uploader = new BlobUploader(client, _options.Upload, log);
        var results = new List<BlobPushResult>();
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxParallelUploads));
        var deniedSources = new HashSet<string>();
        async Task<BlobPushResult> Push(Descriptor blob)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await uploader.PushAsync(repository, blob, () => OpenSeekable(source, blob), () => MountSource(sources, scopes, deniedSources),
                    scopes, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }

        // Layers first, in parallel; one HEAD goes first alone so the token (and its grants) is fetched once, not per layer.
        var layers = plan.Layers.ToList();
        if (layers.Count > 0) results.Add(await Push(layers[0]).ConfigureAwait(false));
        results.AddRange(await Task.WhenAll(layers.Skip(1).Select(Push)).ConfigureAwait(false));
        foreach (var config in plan.Configs) results.Add(await Push(config).ConfigureAwait(false));

        var written = 0;
        foreach (var (descriptor, content) in plan.Documents)
        {
            var isRoot = manifests.Any(m => m.Manifest.Digest == descriptor.Digest);
            if (isRoot) continue; // roots go by tag below
            if (await PutManifestAsync(repository, descriptor, content, descriptor.Digest.ToString(), scopes, cancellationToken).ConfigureAwait(false)) written++;
        }
        foreach (var manifest in manifests)
        {
            var content = plan.Content(manifest.Manifest.Digest);
            var reference = manifest.Tag ?? manifest.Manifest.Digest.ToString();
            if (await PutManifestAsync(repository, manifest.Manifest, content, reference, scopes, cancellationToken).ConfigureAwait(false)) written++;
        }
        return new PushResult(repository, results, manifests, written);
    }

    /// <summary>
    /// A mount is tried only from a repository the credential may pull: when the token's grants are readable they are
    /// checked first (a registry would refuse, or worse, a careless one would allow), else the registry's answer decides.
    /// </summary>
    private string? MountSource(IReadOnlyList<string> sources, IReadOnlyList<RegistryScope> scopes, HashSet<string> denied)
    {
        var grants = client.Connection.Authenticator.Grants(scopes);
        foreach (var candidate in sources)
        {
            if (client.Connection.Authenticator.UsesTokens && grants is not null && !grants.Allows(candidate, "pull"))
            {
                lock (denied)
                {
                    if (denied.Add(candidate))
                        log.Info($"  not mounting from {candidate}: the credential may not pull there; uploading instead");
                }
                continue;
            }
            return candidate;
        }
        return null;
    }

    private static Stream OpenSeekable(IBlobSource source, Descriptor blob)
    {
        if (source.TryGetBlobPath(blob.Digest) is { } path)
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        throw new OciException(ErrorCodes.InvalidPushSetting, $"Blob {blob.Digest} is not a file in {source.Description}; push from an image layout.");
    }

    /// <summary>PUTs a manifest unless the reference already names exactly these bytes. Returns true when written.</summary>
    private async Task<bool> PutManifestAsync(string repository, Descriptor descriptor, byte[] content, string reference, IReadOnlyList<RegistryScope> scopes,
        CancellationToken cancellationToken)
    {
        if (await client.HeadManifestAsync(repository, reference, scopes, cancellationToken).ConfigureAwait(false) == descriptor.Digest)
        {
            log.Detail($"  {repository}:{reference} already is {descriptor.Digest}");
            return false;
        }
        using var response = await client.Connection.SendAsync(root =>
        {
            var body = new ByteArrayContent(content);
            body.Headers.ContentType = new MediaTypeHeaderValue(descriptor.MediaType);
            return new HttpRequestMessage(HttpMethod.Put, new Uri(root, RegistryClient.Path(repository, "manifests", reference))) { Content = body };
        }, scopes, new SendOptions($"push to {repository}"), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            var detail = await RegistryErrors.DescribeAsync(response).ConfigureAwait(false);
            throw new OciException(ErrorCodes.RegistryPushRejected, $"{client.Endpoint.Host} refused the manifest {descriptor.Digest} for {repository}:{reference}: {detail}.");
        }
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var stored) && stored != descriptor.Digest)
            throw new OciException(ErrorCodes.RegistryPushRejected,
                $"{client.Endpoint.Host} stored the manifest for {repository}:{reference} as {stored}, not {descriptor.Digest}; it rewrote the bytes.");
        return true;
    }

    /// <summary>Everything under the manifests to push: layers, configs, and documents (children before parents).</summary>
    private sealed class PushPlan(IBlobSource source)
    {
        private readonly Dictionary<Digest, Descriptor> _layers = [];
        private readonly Dictionary<Digest, Descriptor> _configs = [];
        private readonly List<(Descriptor, byte[])> _documents = [];

        public IEnumerable<Descriptor> Layers => _layers.Values;
        public IEnumerable<Descriptor> Configs => _configs.Values.Where(c => !_layers.ContainsKey(c.Digest));
        public IReadOnlyList<(Descriptor Descriptor, byte[] Content)> Documents => _documents;

        public byte[] Content(Digest digest) => _documents.First(d => d.Item1.Digest == digest).Item2;

        public void Add(Descriptor descriptor, int depth = 0)
        {
            if (_documents.Any(d => d.Item1.Digest == descriptor.Digest)) return;
            if (depth > 4) throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description}: image indexes nest more than 4 deep.");
            var content = source.ReadDocument(descriptor, "manifest");
            if (MediaTypes.IsIndex(descriptor.MediaType))
            {
                var index = OciJson.Deserialize<ImageIndex>(content, $"image index {descriptor.Digest}");
                foreach (var child in index.Manifests) Add(child, depth + 1);
            }
            else
            {
                var manifest = OciJson.Deserialize<ImageManifest>(content, $"image manifest {descriptor.Digest}");
                foreach (var layer in manifest.Layers)
                {
                    // Non-distributable layers live at their URLs, not in registries.
                    if (layer.Urls is { Count: > 0 } && (layer.MediaType.Contains("nondistributable", StringComparison.Ordinal) || layer.MediaType.Contains("foreign", StringComparison.Ordinal))) continue;
                    _layers.TryAdd(layer.Digest, layer);
                }
                _configs.TryAdd(manifest.Config.Digest, manifest.Config);
            }
            _documents.Add((descriptor, content));
        }
    }
}
