using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Bundles;

/// <summary>
/// The checks the CNAB JSON schema misses (it accepts <c>schemaVersion: "banana"</c>, no invocation image, images without
/// digests, dangling definition references). A bundle that passes can travel: every image is pinned by digest and carries
/// what a registry needs to find it again (contentDigest, size, mediaType).
/// </summary>
public static class BundleValidator
{
    private static readonly string[] KnownSchemaVersions = ["1.0.0", "1.1.0", "1.2.0"];

    /// <summary>Throws <see cref="ErrorCodes.InvalidBundleVersion"/> for a bad version, else <see cref="ErrorCodes.InvalidBundle"/> listing every problem.</summary>
    public static void Validate(CnabBundle bundle)
    {
        SemanticVersion.Require(bundle.Version, $"The bundle version of '{bundle.Name}'");
        var problems = Problems(bundle);
        if (problems.Count > 0)
            throw new OciException(ErrorCodes.InvalidBundle, $"The bundle '{bundle.Name}' is not valid: {string.Join("; ", problems)}.");
    }

    public static IReadOnlyList<string> Problems(CnabBundle bundle)
    {
        var problems = new List<string>();
        if (!KnownSchemaVersions.Contains(bundle.SchemaVersion.TrimStart('v')))
            problems.Add($"schemaVersion '{bundle.SchemaVersion}' is not a CNAB core version ({string.Join(", ", KnownSchemaVersions)})");
        if (string.IsNullOrWhiteSpace(bundle.Name))
            problems.Add("name is empty");
        if (!SemanticVersion.IsValid(bundle.Version))
            problems.Add($"version '{bundle.Version}' is not a Semantic Version 2.0.0");
        if (bundle.InvocationImages.Count == 0)
            problems.Add("invocationImages is empty: a bundle needs an invocation image (with /cnab/app/run)");
        if (bundle.Images is not null)
        {
            foreach (var name in bundle.Images.Keys.Where(string.IsNullOrWhiteSpace))
                problems.Add($"images has an empty component name '{name}'");
        }
        foreach (var (role, image) in bundle.AllImages())
            problems.AddRange(ImageProblems(role, image));

        var customKeys = bundle.Custom?.Keys.ToHashSet(StringComparer.Ordinal) ?? [];
        foreach (var extension in bundle.RequiredExtensions ?? [])
        {
            if (!customKeys.Contains(extension)) problems.Add($"requiredExtensions names '{extension}', which custom does not have");
        }
        if (bundle.RequiredExtensions is { } required && required.Distinct(StringComparer.Ordinal).Count() != required.Count)
            problems.Add("requiredExtensions lists an extension twice");
        problems.AddRange(DanglingDefinitions(bundle));
        return problems;
    }

    private static IEnumerable<string> ImageProblems(string role, CnabImage image)
    {
        if (image.ImageType != "oci")
        {
            yield return $"{role}: imageType '{image.ImageType}' is not 'oci'";
            yield break;
        }
        if (!ImageReference.TryParse(image.Image, out var reference, out var error))
        {
            yield return $"{role}: {error}";
            yield break;
        }
        if (reference!.Digest is null)
            yield return $"{role}: '{image.Image}' is not pinned by digest (add @sha256:...)";
        if (!Digest.TryParse(image.ContentDigest, out var contentDigest))
            yield return $"{role}: contentDigest '{image.ContentDigest}' is missing or not a digest";
        else if (reference.Digest is { } pinned && pinned != contentDigest)
            yield return $"{role}: contentDigest {contentDigest} differs from the digest of '{image.Image}'";
        if (image.Size is not > 0)
            yield return $"{role}: size (the manifest or index descriptor's size) is missing or not positive";
        if (image.MediaType is null || !(MediaTypes.IsManifest(image.MediaType) || MediaTypes.IsIndex(image.MediaType)))
            yield return $"{role}: mediaType '{image.MediaType}' is not an image manifest or index media type";
    }

    /// <summary>parameters.*.definition and outputs.*.definition must name a key of definitions.</summary>
    private static IEnumerable<string> DanglingDefinitions(CnabBundle bundle)
    {
        var definitions = new HashSet<string>(StringComparer.Ordinal);
        if (bundle.Other?.TryGetValue("definitions", out var defs) == true && defs.ValueKind == JsonValueKind.Object)
        {
            foreach (var definition in defs.EnumerateObject()) definitions.Add(definition.Name);
        }
        foreach (var section in new[] { "parameters", "outputs" })
        {
            if (bundle.Other?.TryGetValue(section, out var entries) != true || entries.ValueKind != JsonValueKind.Object) continue;
            foreach (var entry in entries.EnumerateObject())
            {
                if (entry.Value.ValueKind == JsonValueKind.Object
                    && entry.Value.TryGetProperty("definition", out var name) && name.ValueKind == JsonValueKind.String
                    && !definitions.Contains(name.GetString()!))
                    yield return $"{section}.{entry.Name} refers to definition '{name.GetString()}', which definitions does not have";
            }
        }
    }
}
