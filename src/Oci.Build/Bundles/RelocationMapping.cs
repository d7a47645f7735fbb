using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Bundles;

/// <summary>
/// relocation-mapping.json (CNAB 103): a flat object from each image string of bundle.json to its relocated, digest-pinned
/// reference. Written canonical, whole or not at all, and only for a complete plan (every image of the bundle).
/// </summary>
public static class RelocationMapping
{
    public static byte[] Serialize(CnabBundle bundle, IReadOnlyList<RelocatedImage> images)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var image in images) map[image.Original] = image.Relocated;
        var missing = bundle.AllImages().Select(i => i.Image.Image).Where(i => !map.ContainsKey(i)).Distinct().ToList();
        if (missing.Count > 0)
            throw new OciException(ErrorCodes.BundleImageMissing, $"The relocation map would miss {string.Join(", ", missing)}; it is not written.");
        var extra = map.Keys.Except(bundle.AllImages().Select(i => i.Image.Image)).ToList();
        if (extra.Count > 0)
            throw new OciException(ErrorCodes.InvalidBundle, $"The relocation map names images the bundle does not have: {string.Join(", ", extra)}.");
        return CanonicalJson.Serialize(map, BundleJsonContext.Default.DictionaryStringString);
    }

    public static void Write(string path, CnabBundle bundle, IReadOnlyList<RelocatedImage> images) =>
        BundleJson.WriteWhole(path, Serialize(bundle, images));

    public static IReadOnlyDictionary<string, string> Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), BundleJsonContext.Default.DictionaryStringString)
                ?? throw new OciException(ErrorCodes.InvalidBundle, $"'{path}' is empty (JSON null).");
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new OciException(ErrorCodes.InvalidBundle, $"'{path}' is not a relocation mapping (a JSON object of strings): {ex.Message}", ex);
        }
    }
}
