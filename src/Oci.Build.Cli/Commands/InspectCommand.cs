using System.Text.Json;
using System.Text.Json.Nodes;
using Oci.Build.Encryption;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Commands;

/// <summary>Prints what a layout or archive holds, as JSON: every image, its platform, config and layers (encrypted or not, for which schemes).</summary>
public sealed class InspectCommand : ICommand
{
    public string Name => "inspect";
    public string Usage => "inspect oci:DIR[:TAG] | oci-archive:FILE[:TAG] | DIR";
    public string Summary => "Show the images of a layout or archive as JSON (digests, platforms, layers, encryption).";

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        arguments.ExpectOnly(1);
        using var source = ImageSource.Open(arguments.Positional(0, "the image (oci:DIR[:TAG], oci-archive:FILE[:TAG] or DIR)"));
        var images = new JsonArray();
        foreach (var entry in source.Entries)
        {
            // One walk per entry: every manifest under it (indexes are followed by the walker, with its limits).
            var graph = ImageWalker.WalkAsync(source.Source, [entry], CancellationToken.None).GetAwaiter().GetResult();
            foreach (var document in graph.Documents.Where(d => d.Manifest is not null))
                images.Add(Describe(source.Source, document, entry.Annotation(AnnotationKeys.RefName)));
        }
        output.WriteLine(new JsonObject { ["layout"] = source.Path, ["images"] = images }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static JsonObject Describe(IImageSource source, GraphDocument document, string? refName)
    {
        var entry = document.Descriptor;
        var manifest = document.Manifest!;
        using var configStream = source.OpenBlobAsync(manifest.Config, CancellationToken.None).GetAwaiter().GetResult();
        if (manifest.Config.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidDocument, $"The config {manifest.Config.Digest} claims {manifest.Config.Size} bytes; refusing it.");
        using var configBytes = new MemoryStream();
        configStream.CopyTo(configBytes); // bounded: the verifying stream stops at the declared size
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
