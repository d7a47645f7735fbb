using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;
using Oci.Build.Signing;

namespace Oci.Build.Bundles;

public sealed record BundlePushRequest
{
    public required CnabBundle Bundle { get; init; }
    /// <summary>bundle.json's bytes as written: they become the config blob unchanged.</summary>
    public required byte[] CanonicalBundle { get; init; }
    /// <summary><c>registry/repository:tag</c> of the bundle.</summary>
    public required ImageReference Target { get; init; }
    public BundleImageSourceMap Sources { get; init; } = new();
    public int Parallelism { get; init; } = 3;
    /// <summary>Sign the bundle's index under its reference (cosign format); the images carry their own signatures.</summary>
    public SigningOptions? Signing { get; init; }
}

public sealed record BundlePushResult(string Reference, Descriptor Index, CnabOciDocuments Documents);

/// <summary>
/// Pushes a bundle the way cnab-to-oci does, so Porter and cnab-to-oci can pull it: every image of the bundle first into
/// the bundle's repository (mounted when it is on the same registry, copied by the shared copy engine otherwise, digests
/// unchanged), then the config blob (the canonical bundle.json), the config manifest, and the index under the tag.
/// </summary>
public sealed class BundlePusher(RegistrySettings settings, IBuildLog log)
{
    public BundlePushResult Push(BundlePushRequest request, CancellationToken cancellationToken = default)
    {
        BundleValidator.Validate(request.Bundle);
        var documents = CnabOciDocuments.Create(request.Bundle, request.CanonicalBundle);
        var target = request.Target;
        if (target.Tag is null || target.Digest is not null)
            throw new OciException(ErrorCodes.InvalidBundleSetting, $"A bundle is pushed to registry/repository:tag, not '{target}'.");
        // Signed before anything is pushed: a signing key that fails leaves the registry untouched.
        var signature = request.Signing is { } signing ? CosignSignature.Create(signing.Signer, documents.Index.Descriptor.Digest, [target.ToString()]) : null;
        using var registries = new RegistryImages(settings, log, pushHost: RegistryEndpoint.ApiHost(target.Registry), pullHost: null);
        var repository = new ImageLocation(ImageTransport.Registry, "", null, target with { Tag = null });

        foreach (var (role, image) in request.Bundle.AllImages().DistinctBy(i => i.Image.Image))
        {
            var source = ImageReference.Parse(image.Image);
            var digest = Digest.Parse(image.ContentDigest!);
            var descriptor = new Descriptor { MediaType = image.MediaType!, Digest = digest, Size = image.Size!.Value };
            var from = request.Sources.For(image.Image, source, digest);
            using var reader = registries.OpenSource(from);
            if (!reader.HasAsync(descriptor, cancellationToken).GetAwaiter().GetResult())
                throw new OciException(ErrorCodes.BundleImageMissing, $"The bundle's image {image.Image} ({role}) is not in {from}; the bundle is not pushed.");
            using var sink = registries.OpenSink(repository, mountFrom: from.Transport == ImageTransport.Registry ? from : null);
            var copied = ImageCopier.CopyAsync(reader, sink, [new CopyRoot(descriptor, [])], new CopyOptions { Parallelism = request.Parallelism, IncludeAttached = true }, cancellationToken)
                .GetAwaiter().GetResult();
            log.Info($"  {role,-24} {digest} into {target.Name}: {copied.Count(BlobOutcome.Mounted)} blobs mounted, {copied.Count(BlobOutcome.Uploaded)} sent, " +
                     $"{copied.Count(BlobOutcome.Existed)} already there");
        }

        using (var sink = registries.OpenSink(repository))
        {
            sink.PutBlobAsync(FromBytes(documents.Config), cancellationToken).GetAwaiter().GetResult();
            sink.PutManifestAsync(documents.ConfigManifest.Descriptor, documents.ConfigManifest.Content, null, cancellationToken).GetAwaiter().GetResult();
            sink.PutManifestAsync(documents.Index.Descriptor, documents.Index.Content, [target.Tag], cancellationToken).GetAwaiter().GetResult();
            signature?.PutAsync(sink, cancellationToken).GetAwaiter().GetResult();
            sink.CommitAsync(cancellationToken).GetAwaiter().GetResult();
        }
        log.Info($"Pushed bundle {request.Bundle.Name} {request.Bundle.Version} -> {target} ({documents.Index.Descriptor.Digest})");
        return new BundlePushResult(target.ToString(), documents.Index.Descriptor, documents);
    }

    private static BlobContent FromBytes(RegistryDocument document) =>
        new(document.Descriptor, _ => Task.FromResult<Stream>(new MemoryStream(document.Content, writable: false)), null);
}
