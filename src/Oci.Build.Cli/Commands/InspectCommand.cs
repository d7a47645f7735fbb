using System.CommandLine;
using System.Text.Json.Nodes;
using Oci.Build.Encryption;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;
using Oci.Build.Signing;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Prints what a layout or archive holds, as JSON: every image, its platform, config and layers (encrypted or not, for
/// which schemes), and what is attached to it (cosign signatures and the names they claim, SBOM referrers). Attached
/// objects are shown with their image, not as images of their own.
/// </summary>
public sealed class InspectCommand : OciCommand
{
    private readonly Argument<string> _image = new("IMAGE") { Description = "The images: oci:DIR[:TAG], oci-archive:FILE[:TAG], a layout folder, or docker://HOST/REPO[:TAG|@DIGEST]." };

    public InspectCommand() : base("inspect", "Show the images of a layout, archive or registry reference as JSON (digests, platforms, layers, encryption, attached signatures and SBOMs); the output is JSON with or without --json.")
    {
        Arguments.Add(_image);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var spec = context.Parse.GetRequiredValue(_image);
        if (spec.StartsWith(ImageLocation.RegistryPrefix, StringComparison.Ordinal))
        {
            // One image in a registry: its attached objects are found there by the same tags (sha256-HEX.sig, sha256-HEX).
            var location = ImageLocation.Parse(spec, Environment.CurrentDirectory);
            var reference = location.Image!;
            using var registries = new RegistryImages(new RegistrySettings { CacheDirectory = CacheDirectory() }, context.Log, null, RegistryEndpoint.ApiHost(reference.Registry));
            using var registry = registries.OpenSource(location);
            var root = await registry.ResolveAsync(reference.ManifestReference, cancellationToken) with { Annotations = null };
            var described = new JsonArray();
            await DescribeAsync(registry, root, reference.Tag, described, cancellationToken);
            var registryResult = new JsonObject { ["image"] = reference.ToString(), ["images"] = described };
            context.Result(registryResult, registryResult.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        using var source = ImageSource.Open(spec);
        var images = new JsonArray();
        foreach (var entry in source.Tag is null ? AttachedObjects.Images(source.Index) : source.Entries)
            await DescribeAsync(source.Source, entry, entry.Annotation(AnnotationKeys.RefName), images, cancellationToken);
        var result = new JsonObject { ["layout"] = source.Path, ["images"] = images };
        context.Result(result, result.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return ExitCodes.Success;
    }

    /// <summary>Adds every manifest under one entry, each with what is attached to it; an index's own attachments go on its last manifest's line.</summary>
    private static async Task DescribeAsync(IImageSource source, Descriptor entry, string? refName, JsonArray images, CancellationToken cancellationToken)
    {
        // One walk per entry: every manifest under it (indexes are followed by the walker, with its limits).
        var graph = await ImageWalker.WalkAsync(source, [entry], cancellationToken);
        foreach (var document in graph.Documents.Where(d => d.Manifest is not null))
        {
            var image = await DescribeManifestAsync(source, document, refName, cancellationToken);
            image["attached"] = await AttachedAsync(source, document.Descriptor, cancellationToken);
            images.Add((JsonNode)image);
        }
        // An index's own signatures and SBOM are shown on a line of its manifests, where the index digest is named.
        if (MediaTypes.IsIndex(entry.MediaType) && images.LastOrDefault() is JsonObject last)
            last["indexAttached"] = await AttachedAsync(source, entry with { Annotations = null }, cancellationToken);
    }

    private static async Task<JsonObject> AttachedAsync(IImageSource source, Descriptor image, CancellationToken cancellationToken)
    {
        var attached = await AttachedSummary.ReadAsync(source, image, cancellationToken);
        return new JsonObject
        {
            ["digest"] = image.Digest.ToString(),
            ["signatures"] = attached.SignatureManifest is null ? null : new JsonObject
            {
                ["tag"] = AttachedObjects.SignatureTag(image.Digest),
                ["manifest"] = attached.SignatureManifest.ToString(),
                // What the payloads say; not a verification (no key here).
                ["claimedNames"] = new JsonArray(attached.ClaimedNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            },
            ["sboms"] = new JsonArray(attached.Sboms.Select(s => (JsonNode?)new JsonObject
            {
                ["artifactType"] = s.ArtifactType,
                ["manifest"] = s.Digest.ToString(),
            }).ToArray()),
        };
    }

    private static async Task<JsonObject> DescribeManifestAsync(IImageSource source, GraphDocument document, string? refName, CancellationToken cancellationToken)
    {
        var entry = document.Descriptor;
        var manifest = document.Manifest!;
        using var configStream = await source.OpenBlobAsync(manifest.Config, cancellationToken);
        if (manifest.Config.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidDocument, $"The config {manifest.Config.Digest} claims {manifest.Config.Size} bytes; refusing it.");
        using var configBytes = new MemoryStream();
        await configStream.CopyToAsync(configBytes, cancellationToken); // bounded: the verifying stream stops at the declared size
        var config = OciDocuments.ReadConfig(configBytes.ToArray(), $"image config {manifest.Config.Digest}");
        var layers = new JsonArray();
        foreach (var layer in manifest.Layers)
        {
            var schemes = (layer.Annotations ?? new Dictionary<string, string>()).Keys
                .Where(k => k.StartsWith(EncryptionAnnotations.KeysPrefix, StringComparison.Ordinal))
                .Select(k => (JsonNode?)JsonValue.Create(k[EncryptionAnnotations.KeysPrefix.Length..])).ToArray();
            layers.Add((JsonNode)new JsonObject
            {
                ["mediaType"] = layer.MediaType,
                ["digest"] = layer.Digest.ToString(),
                ["size"] = layer.Size,
                ["encrypted"] = EncryptionAnnotations.IsEncrypted(layer.MediaType),
                ["encryptedFor"] = new JsonArray(schemes),
            });
        }
        return new JsonObject
        {
            ["refName"] = refName,
            ["digest"] = entry.Digest.ToString(),
            ["mediaType"] = entry.MediaType,
            ["size"] = entry.Size,
            ["platform"] = $"{config?["os"]?.GetValue<string>()}/{config?["architecture"]?.GetValue<string>()}",
            ["created"] = config?["created"]?.GetValue<string>(),
            ["config"] = manifest.Config.Digest.ToString(),
            ["baseName"] = manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseName),
            ["baseDigest"] = manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseDigest),
            ["layers"] = layers,
        };
    }
}
