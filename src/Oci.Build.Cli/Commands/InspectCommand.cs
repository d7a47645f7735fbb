using System.Text.Json;
using System.Text.Json.Nodes;
using Oci.Build.Encryption;
using Oci.Build.Layout;
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
        var layout = source.Layout;
        var entries = source.Tag is null ? layout.Index.Manifests : [layout.FindManifest(source.Tag)];
        var images = new JsonArray();
        var seen = new HashSet<Digest>();
        foreach (var entry in entries)
            foreach (var image in Describe(layout, entry, entry.Annotation(AnnotationKeys.RefName), seen, 1))
                images.Add(image);
        output.WriteLine(new JsonObject { ["layout"] = layout.Root, ["images"] = images }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>The images an entry names; each index is expanded once (a DAG of indexes is not a tree of 2^N paths).</summary>
    private static IEnumerable<JsonObject> Describe(OciLayout layout, Descriptor entry, string? refName, HashSet<Digest> seen, int depth)
    {
        if (MediaTypes.IsIndex(entry.MediaType))
        {
            if (!seen.Add(entry.Digest)) yield break;
            if (depth > OciDocuments.MaxIndexDepth) throw OciDocuments.TooDeep(layout.Description);
            var index = OciJson.Deserialize<ImageIndex>(layout.ReadDocument(entry, "image index"), $"index {entry.Digest}");
            foreach (var child in index.Manifests)
                foreach (var image in Describe(layout, child, refName, seen, depth + 1))
                    yield return image;
            yield break;
        }
        if (!MediaTypes.IsManifest(entry.MediaType))
        {
            yield return new JsonObject { ["refName"] = refName, ["digest"] = entry.Digest.ToString(), ["mediaType"] = entry.MediaType };
            yield break;
        }
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "image manifest"), $"manifest {entry.Digest}");
        var config = OciDocuments.ReadConfig(layout.ReadDocument(manifest.Config, "image config"), $"image config {manifest.Config.Digest}");
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
        yield return new JsonObject
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
