using System.Text.RegularExpressions;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Serve;

/// <summary>A manifest or index as served: its descriptor (media type, digest, size) and its bytes, exactly as stored.</summary>
public sealed record ServedManifest(Descriptor Descriptor, byte[] Content);

/// <summary>A config or layer as served: read from the source that holds it, never copied.</summary>
public sealed class ServedBlob(Descriptor descriptor, IImageSource source)
{
    public Descriptor Descriptor { get; } = descriptor;
    public IImageSource Source { get; } = source;

    /// <summary>
    /// Set once a full read through the source's verifying stream matched the digest: later reads may then go straight
    /// from the file (sendfile). Until then every full GET is verified while it streams.
    /// </summary>
    public volatile bool Verified;
}

/// <summary>
/// One repository: its tags, the manifests reachable from them, and exactly the blobs those manifests reference. A blob
/// is served only through a repository that references it (the lesson of distribution's per-repository links, seed 001).
/// </summary>
public sealed class ServedRepository(string name)
{
    public string Name { get; } = name;
    public SortedDictionary<string, Digest> Tags { get; } = new(StringComparer.Ordinal);
    public Dictionary<Digest, ServedManifest> Manifests { get; } = [];
    public Dictionary<Digest, ServedBlob> Blobs { get; } = [];
}

/// <summary>A LOCATION to serve (<c>oci:DIR</c>, <c>oci-archive:FILE</c>, a folder or archive path), optionally <c>NAME=LOCATION</c>.</summary>
public sealed record ServedLocation(string Spec, string? Repository)
{
    public static ServedLocation Parse(string text)
    {
        var equals = text.IndexOf('=');
        return equals > 0 && ServedCatalog.IsRepositoryName(text[..equals]) ? new ServedLocation(text[(equals + 1)..], text[..equals]) : new ServedLocation(text, null);
    }
}

/// <summary>
/// Every repository the server answers for, built once at start from the locations' index.json entries: an entry named
/// <c>org.opencontainers.image.ref.name = [HOST/]REPO[:TAG]</c> lands in REPO (the image's original repository, under
/// --prefix if given); a tag-only name lands in the location's own repository (NAME=LOCATION, else the file or folder name).
/// </summary>
public sealed partial class ServedCatalog : IDisposable
{
    private readonly List<IDisposable> _sources = [];
    private readonly List<IImageSource> _layers = [];

    /// <summary>The blob sources of delta locations, by reference: a delta's tags replace earlier ones instead of conflicting.</summary>
    private readonly HashSet<IImageSource> _deltas = new(ReferenceEqualityComparer.Instance);

    public SortedDictionary<string, ServedRepository> Repositories { get; } = new(StringComparer.Ordinal);

    public static async Task<ServedCatalog> OpenAsync(IReadOnlyList<ServedLocation> locations, string? prefix, CancellationToken cancellationToken)
    {
        if (prefix is not null && !IsRepositoryName(prefix))
            throw new OciException(ErrorCodes.InvalidRepositoryName, $"--prefix '{prefix}' is not a repository path: lowercase a-z0-9 components separated by '/', '.', '_' or '-'.");
        var catalog = new ServedCatalog();
        try
        {
            foreach (var location in locations)
            {
                var image = ImageSource.Open(location.Spec);
                catalog._sources.Add(image);
                var blobSource = catalog.BlobSourceFor(image.Source, location.Spec);
                catalog._layers.Add(image.Source);
                var own = location.Repository ?? DefaultRepository(image.Path);
                var graphs = new Dictionary<Digest, ImageGraph>();
                // Attached objects (signatures, the referrers tag) are served with their image, in its repository, under
                // their own tags, as a registry holds them: not as images of the location's own repository.
                foreach (var entry in AttachedObjects.Images(image.Index))
                {
                    var (repository, tag) = Name(entry.Annotation(AnnotationKeys.RefName), own, image.Path);
                    if (prefix is not null) repository = $"{prefix}/{repository}";
                    if (!graphs.TryGetValue(entry.Digest, out var graph))
                        graphs[entry.Digest] = graph = await ImageWalker.WalkAsync(image.Source, [entry with { Annotations = null }], cancellationToken).ConfigureAwait(false);
                    catalog.Add(repository, tag, entry, graph, blobSource);
                    foreach (var attached in await AttachedObjects.FindAsync(image.Source, graph, cancellationToken).ConfigureAwait(false))
                    {
                        var attachedGraph = await ImageWalker.WalkAsync(image.Source, [attached.Descriptor], cancellationToken).ConfigureAwait(false);
                        catalog.Add(repository, attached.Tags[0], attached.Descriptor, attachedGraph, blobSource);
                    }
                }
            }
            if (catalog.Repositories.Count == 0)
                throw new OciException(ErrorCodes.NothingToServe, $"No image to serve in {string.Join(", ", locations.Select(l => l.Spec))}: their index.json files list no manifest.");
            return catalog;
        }
        catch
        {
            catalog.Dispose();
            throw;
        }
    }

    private void Add(string name, string? tag, Descriptor root, ImageGraph graph, Func<Descriptor, IImageSource> blobSource)
    {
        if (!Repositories.TryGetValue(name, out var repository)) Repositories[name] = repository = new ServedRepository(name);
        var source = blobSource(root);
        if (tag is not null)
        {
            // A delta layered on earlier locations is the newer release: its tags win (a moved "latest"), not a conflict.
            if (repository.Tags.TryGetValue(tag, out var existing) && existing != root.Digest && !_deltas.Contains(source))
                throw new OciException(ErrorCodes.ConflictingTag, $"{name}:{tag} names {existing} in one location and {root.Digest} in {source.Description}.");
            repository.Tags[tag] = root.Digest;
        }
        foreach (var document in graph.Documents)
            repository.Manifests.TryAdd(document.Descriptor.Digest, new ServedManifest(document.Descriptor with { Annotations = null, Platform = null }, document.Content));
        foreach (var blob in graph.Blobs)
            repository.Blobs.TryAdd(blob.Descriptor.Digest, new ServedBlob(blob.Descriptor, blobSource(blob.Descriptor)));
    }

    /// <summary>
    /// Where a location's blobs are read: the location itself, except for a delta archive, whose left-out layers come
    /// from the locations before it (the full archive and earlier deltas), the newest that has each. A blob in a delta
    /// repository is still served only through repositories whose manifests reference it: layering adds bytes, not access.
    /// </summary>
    private Func<Descriptor, IImageSource> BlobSourceFor(IImageSource source, string spec)
    {
        if (source is not ArchiveSource { Delta: { } delta } archive) return _ => source;
        var layer = new BorrowedSource(archive);
        _deltas.Add(layer);
        var lower = _layers.ToList();
        return descriptor =>
        {
            if (delta.Find(descriptor.Digest) is null) return layer;
            for (var i = lower.Count - 1; i >= 0; i--)
                if (lower[i].HasAsync(descriptor, CancellationToken.None).GetAwaiter().GetResult()) return lower[i];
            throw new OciException(ErrorCodes.DeltaServedWithoutBase,
                $"{spec} is a delta of {(delta.Baseline.Archive.Length > 0 ? delta.Baseline.Archive : "an earlier archive")}: its blob {descriptor.Digest} is in no location before it. " +
                "Serve the full archive first, then the deltas in order: dotnet oci serve FULL DELTA...");
        };
    }

    /// <summary>
    /// <c>[HOST/]REPO[:TAG]</c> -> (REPO, TAG); a name without <c>/</c> or <c>:</c> is a tag of <paramref name="own"/>.
    /// The first component is a registry host when it has a dot or a port or is localhost, and something follows it
    /// (the docker rule), so <c>registry.example/samples/app:1.0</c> is served as <c>samples/app:1.0</c>.
    /// </summary>
    public static (string Repository, string? Tag) Name(string? refName, string own, string where)
    {
        if (refName is null) return (own, null);
        if (!refName.Contains('/') && !refName.Contains(':') && !refName.Contains('@')) return (own, refName);
        var name = refName.Split('@')[0];
        string? tag = null;
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            tag = name[(colon + 1)..];
            name = name[..colon];
        }
        var slash = name.IndexOf('/');
        if (slash > 0 && name[..slash] is var first && (first.Contains('.') || first.Contains(':') || first == "localhost")) name = name[(slash + 1)..];
        if (!IsRepositoryName(name) || (tag is not null && !TagPattern().IsMatch(tag)))
            throw new OciException(ErrorCodes.InvalidRepositoryName, $"'{refName}' in {where} is not REPOSITORY[:TAG] with a valid repository name and tag.");
        return (name, tag);
    }

    /// <summary>The distribution-spec grammar for repository names.</summary>
    public static bool IsRepositoryName(string name) => name.Length <= 255 && RepositoryPattern().IsMatch(name);

    /// <summary>A location's own repository: its file or folder name, lowercased, with anything else made a dash.</summary>
    private static string DefaultRepository(string path)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path)).ToLowerInvariant();
        foreach (var extension in new[] { ".tar", ".tgz", ".tar.gz", ".cnab" })
            if (name.EndsWith(extension, StringComparison.Ordinal)) name = name[..^extension.Length];
        name = Regex.Replace(name, "[^a-z0-9]+", "-").Trim('-');
        return name.Length == 0 ? "images" : name;
    }

    /// <summary>Repository names of the distribution spec: lowercase components joined by '.', '_', '__' or dashes, separated by '/'.</summary>
    public const string RepositoryGrammar = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*";

    [GeneratedRegex("^" + RepositoryGrammar + "$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")]
    private static partial Regex TagPattern();

    public void Dispose()
    {
        foreach (var source in _sources) source.Dispose();
    }
}
