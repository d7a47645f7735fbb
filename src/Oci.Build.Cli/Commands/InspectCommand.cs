using System.CommandLine;
using System.Text.Json.Nodes;
using Oci.Build.Encryption;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Signing;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Prints what a layout or archive holds, as JSON: every image, its platform, config and layers (encrypted or not, for
/// which schemes), and what is attached to it (cosign signatures and the names they claim, SBOM referrers). Attached
/// objects are shown with their image, not as images of their own.
/// </summary>
public sealed class InspectCommand : OciCommand
{
    private readonly Argument<string> _image = new("IMAGE") { Description = "The images: oci:DIR[:TAG], oci-archive:FILE[:TAG] or a layout folder." };

    public InspectCommand() : base("inspect", "Show the images of a layout or archive as JSON (digests, platforms, layers, encryption); the output is JSON with or without --json.")
    {
        Arguments.Add(_image);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        using var source = ImageSource.Open(context.Parse.GetRequiredValue(_image));
        var images = new JsonArray();
        foreach (var entry in source.Tag is null ? AttachedObjects.Images(source.Index) : source.Entries)
        {
            // One walk per entry: every manifest under it (indexes are followed by the walker, with its limits).
            var graph = await ImageWalker.WalkAsync(source.Source, [entry], cancellationToken);
            foreach (var document in graph.Documents.Where(d => d.Manifest is not null))
            {
                var image = await DescribeAsync(source.Source, document, entry.Annotation(AnnotationKeys.RefName), cancellationToken);
                image["attached"] = await AttachedAsync(source.Source, document.Descriptor, cancellationToken);
                images.Add(image);
            }
            // An index's own signatures and SBOM are shown on its first manifest's line, where the index digest is named.
            if (MediaTypes.IsIndex(entry.MediaType) && images.LastOrDefault() is JsonObject last)
                last["indexAttached"] = await AttachedAsync(source.Source, entry with { Annotations = null }, cancellationToken);
        }
        var result = new JsonObject { ["layout"] = source.Path, ["images"] = images };
        context.Result(result, result.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return ExitCodes.Success;
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

    private static async Task<JsonObject> DescribeAsync(IImageSource source, GraphDocument document, string? refName, CancellationToken cancellationToken)
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
            layers.Add(new JsonObject
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
