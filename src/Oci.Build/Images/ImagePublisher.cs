using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Oci.Build.Encryption;
using Oci.Build.Oci;
using Oci.Build.Store;
using Oci.Build.Layers;

namespace Oci.Build.Images;

/// <summary>
/// The image step of a publish: resolve the base, plan and build layers, write the layout, then the archive and summary.
/// Extra base image forms (registries) plug in through <see cref="IBaseImageProvider"/>.
/// </summary>
public sealed class ImagePublisher(IBuildLog log, IEnumerable<IBaseImageProvider>? extraProviders = null)
{
    /// <param name="cancellationToken">Stops the base image's pull and the layer building between layers; nothing is committed.</param>
    public ImageResult Publish(ImagePublishRequest request, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        CheckOutputPaths(request);
        var settings = request.Settings;
        var store = new ContentStore(request.CacheDirectory);
        var builder = new LayerBuilder(store, request.Compression, new TarSettings(settings.Created.ToUnixTimeSeconds()), request.PreviousLayers);
        builder.StartReadingPrevious();
        // The recipients' keys are read and checked on another thread while the base image is resolved: a bad recipient
        // still fails the publish before any layer is built. The ciphers' first use is then paid on that thread while the
        // layers are built (in a one-line-change build that is most of what encryption costs), and waited for only when the
        // layers are encrypted.
        var readingRecipients = request.Encryption is { } encryption
            ? Task.Run(() => new LayerEncryptor(log, store, encryption.ReadRecipients(), encryption.Context), cancellationToken)
            : null;
        var warmingUp = readingRecipients?.ContinueWith(reading => reading.Result.WarmUp(), cancellationToken,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

        var providers = new List<IBaseImageProvider>
        {
            new LayoutBaseImageProvider(request.BaseDirectory),
            new ArchiveBaseImageProvider(request.BaseDirectory),
        };
        providers.AddRange(extraProviders ?? []);
        using var resolved = new BaseImageResolver(providers).Resolve(request.BaseImage, settings.Platform, cancellationToken);
        log.Detail($"Base image: {request.BaseImage ?? "scratch"} ({resolved.Layers.Count} layers{(resolved.ManifestDescriptor is null ? "" : ", " + resolved.ManifestDescriptor.Digest)})");
        var encryptor = readingRecipients?.GetAwaiter().GetResult();
        var baseBlobs = resolved.Blobs is null ? null : new StoredBaseBlobs(resolved.Blobs, store);
        var baseImage = resolved.WithBlobs(baseBlobs);

        var plan = PublishLayerPlanner.Plan(request.PublishDirectory, request.ClassifiedFiles, request.Layering, request.CustomLayers,
            settings.WorkingDirectory ?? "/app");
        plan = WritableDirectory.AddTo(plan, request.WritableDirectories, settings.WorkingDirectory ?? "/app");
        cancellationToken.ThrowIfCancellationRequested();
        builder.StartFetchingPrevious(plan, baseImage.Layers.Select(l => l.Digest).ToHashSet());
        var layers = builder.BuildAll(plan);
        cancellationToken.ThrowIfCancellationRequested();
        // The base's layers go into the store (once: a republish finds them there), and the layout links them from there.
        baseBlobs?.Store(baseImage.Layers, cancellationToken);
        // Encrypted before anything is written: the layout only ever receives the ciphertext of an encrypted layer.
        warmingUp?.GetAwaiter().GetResult();
        var encrypted = encryptor is null ? null : Encrypt(encryptor, request.Encryption!.Layers, baseImage, layers, cancellationToken);

        var result = ImageBuilder.Build(baseImage, layers, settings, request.LayoutPath, encrypted);

        foreach (var layer in result.Layers)
            log.Info($"  layer {layer.Name,-10} {layer.Descriptor.Digest} {ByteSize.Format(layer.Descriptor.Size),10}  ({layer.Origin}{Encryption(layer, encrypted)})");
        log.Info($"Image {string.Join(", ", result.References)} -> {result.Manifest.Digest}");
        if (result.PlaintextManifestDigest is { } plaintext)
            log.Info($"  encrypted for {string.Join(", ", encryptor!.Recipients.Select(r => r.Recipient.Text))}; decrypted it is {plaintext}");
        log.Info($"  layout:  {result.LayoutPath}");
        log.Detail($"Image step took {stopwatch.Elapsed.TotalMilliseconds:F0} ms.");
        return result;
    }

    /// <summary>The selected layers' ciphertexts (reused from the store for the same plaintext and recipients), by plaintext digest.</summary>
    private IReadOnlyDictionary<Digest, EncryptedLayer> Encrypt(LayerEncryptor encryptor, IReadOnlyList<string> selection, BaseImage baseImage,
        IReadOnlyList<BuiltLayer> layers, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var named = baseImage.Layers.Select(l => new NamedLayer(LayerSelection.BaseName, l, IsBase: true))
            .Concat(layers.Select(l => new NamedLayer(l.Name, l.Descriptor, IsBase: false))).ToList();
        var selected = LayerSelection.Resolve(named, selection);
        var chosen = named.Select(l => l.Descriptor).Where(d => selected.Contains(d.Digest)).DistinctBy(d => d.Digest).ToList();
        // Ciphertexts an earlier build made are looked up first, here (a one-line change finds all but the app layer's).
        var results = new EncryptedLayer?[chosen.Count];
        var misses = new List<Descriptor>();
        for (var i = 0; i < chosen.Count; i++)
        {
            results[i] = encryptor.FindEncrypted(chosen[i]);
            if (results[i] is null) misses.Add(chosen[i]);
        }
        // The rest each on a core of its own, largest first: a cold build of an app with a runtime and a packages layer
        // encrypted them one after another on one core while the other waited (AES-CTR and HMAC-SHA256 are one stream
        // each). A single one is encrypted on this thread: starting parallel work (its code is compiled in every build)
        // cost 4-5 ms of a 90 ms one-line-change build.
        misses.Sort((a, b) => b.Size.CompareTo(a.Size));
        var made = new Dictionary<Digest, EncryptedLayer>();
        void EncryptAnew(Descriptor layer)
        {
            var built = layers.FirstOrDefault(l => l.Descriptor.Digest == layer.Digest);
            // A built layer is a sealed store file (trusted as the layout writer trusts it); a base layer's stream verifies itself.
            var result = encryptor.EncryptAnew(layer, built is not null ? () => File.OpenRead(built.BlobPath) : () => baseImage.Blobs!.OpenBlob(layer));
            lock (made) made[layer.Digest] = result;
        }
        if (misses.Count == 1) EncryptAnew(misses[0]);
        else if (misses.Count > 1)
        {
            try
            {
                Parallel.For(0, misses.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                    k => EncryptAnew(misses[k]));
            }
            catch (AggregateException ex)
            {
                ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);   // the first failure itself, as a one-layer build reports it
            }
        }
        var encrypted = new Dictionary<Digest, EncryptedLayer>();
        for (var i = 0; i < chosen.Count; i++) encrypted[chosen[i].Digest] = results[i] ?? made[chosen[i].Digest];
        log.Detail($"Encrypted {encrypted.Count} layer(s) in {stopwatch.Elapsed.TotalMilliseconds:F0} ms.");
        return encrypted;
    }

    private static string Encryption(ImageLayerInfo layer, IReadOnlyDictionary<Digest, EncryptedLayer>? encrypted) =>
        encrypted?.Values.FirstOrDefault(e => e.Encrypted.Digest == layer.Descriptor.Digest) is { } e
            ? $", encrypted{(e.Reused ? ", ciphertext reused" : "")}, plaintext {e.PlaintextDigest}" : "";

    private static void CheckOutputPaths(ImagePublishRequest request)
    {
        var publish = Normalize(request.PublishDirectory);
        foreach (var (name, path) in new[] { ("ContainerImageLayoutPath", request.LayoutPath) })
        {
            var full = Normalize(path);
            if (full == publish || full.StartsWith(publish + Path.DirectorySeparatorChar, StringComparison.Ordinal) ||
                publish.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new OciException(ErrorCodes.InvalidOutputPath,
                    $"{name} '{path}' overlaps the publish folder '{request.PublishDirectory}'; the image must be written beside it, never inside it.");
        }
    }

    private static string Normalize(string path) => Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
}
