using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Bundles;

/// <summary>One document to put in a registry: its bytes and the descriptor that names them.</summary>
public sealed record RegistryDocument(Descriptor Descriptor, byte[] Content)
{
    public static RegistryDocument Of(byte[] content, string mediaType) =>
        new(new Descriptor { MediaType = mediaType, Digest = Digest.Of(content), Size = content.Length }, content);
}

/// <summary>
/// A bundle as cnab-to-oci stores it in a registry (CNAB 201): the canonical bundle.json as the config blob of a manifest
/// with no layers, and an OCI index over that config manifest, the invocation image and the component images. Porter and
/// cnab-to-oci pull this shape; they require every image to live in the bundle's own repository.
/// </summary>
public sealed record CnabOciDocuments(RegistryDocument Config, RegistryDocument ConfigManifest, RegistryDocument Index)
{
    /// <summary>The config media type cnab-to-oci writes (the spec text says application/vnd.cnab.bundle.config.v1+json; tools use this).</summary>
    public const string ConfigMediaType = "application/vnd.cnab.config.v1+json";
    public const string ArtifactType = "application/vnd.cnab.manifest.v1";

    public const string ManifestTypeAnnotation = "io.cnab.manifest.type";
    public const string ComponentNameAnnotation = "io.cnab.component.name";
    public const string RuntimeVersionAnnotation = "io.cnab.runtime_version";
    public const string KeywordsAnnotation = "io.cnab.keywords";
    public const string ArtifactTypeAnnotation = "org.opencontainers.artifactType";

    /// <summary>Maintainers and keywords become annotation values written as the OCI documents are (relaxed escaping).</summary>
    private static readonly System.Text.Json.JsonSerializerOptions AnnotationJson = OciJson.For(BundleJsonContext.Default);

    /// <param name="canonicalBundle">The bundle.json bytes exactly as written (their digest is the config blob's).</param>
    public static CnabOciDocuments Create(CnabBundle bundle, byte[] canonicalBundle)
    {
        if (bundle.InvocationImages.Count != 1)
            throw new OciException(ErrorCodes.InvalidBundle,
                $"The bundle '{bundle.Name}' has {bundle.InvocationImages.Count} invocation images; a bundle in a registry (cnab-to-oci's form) has exactly one.");
        var config = RegistryDocument.Of(canonicalBundle, ConfigMediaType);
        var configManifest = RegistryDocument.Of(OciJson.Serialize(new ImageManifest { Config = config.Descriptor, Layers = [] }), MediaTypes.OciManifest);

        // cnab-to-oci's order: the config manifest, the one invocation image, then the components sorted by name.
        var manifests = new List<Descriptor>
        {
            configManifest.Descriptor with { Annotations = new Dictionary<string, string> { [ManifestTypeAnnotation] = "config" } },
            ImageDescriptor(bundle.InvocationImages[0]) with { Annotations = new Dictionary<string, string> { [ManifestTypeAnnotation] = "invocation" } },
        };
        foreach (var (name, image) in (bundle.Images ?? new Dictionary<string, CnabImage>()).OrderBy(p => p.Key, StringComparer.Ordinal))
            manifests.Add(ImageDescriptor(image) with
            {
                Annotations = new Dictionary<string, string> { [ManifestTypeAnnotation] = "component", [ComponentNameAnnotation] = name },
            });

        var annotations = new Dictionary<string, string>
        {
            [RuntimeVersionAnnotation] = bundle.SchemaVersion,
            [AnnotationKeys.Title] = bundle.Name,
            [AnnotationKeys.Version] = bundle.Version,
            ["org.opencontainers.image.description"] = bundle.Description ?? "",
            [ArtifactTypeAnnotation] = ArtifactType,
        };
        if (bundle.Maintainers is { } maintainers)
            annotations["org.opencontainers.image.authors"] = JsonSerializer.Serialize(maintainers, AnnotationJson.TypeInfo<IReadOnlyList<CnabMaintainer>>());
        if (bundle.Keywords is { } keywords)
            annotations[KeywordsAnnotation] = JsonSerializer.Serialize(keywords, AnnotationJson.TypeInfo<IReadOnlyList<string>>());
        var index = RegistryDocument.Of(OciJson.Serialize(new ImageIndex { Manifests = manifests, Annotations = annotations }), MediaTypes.OciIndex);
        return new CnabOciDocuments(config, configManifest, index);
    }

    private static Descriptor ImageDescriptor(CnabImage image) => new()
    {
        MediaType = image.MediaType ?? MediaTypes.OciManifest,
        Digest = Digest.Parse(image.ContentDigest ?? throw new OciException(ErrorCodes.InvalidBundle, $"'{image.Image}' has no contentDigest.")),
        Size = image.Size ?? 0,
    };
}
