using Oci.Build.Oci;

namespace Oci.Build.Bundles;

/// <summary>How relocated repositories are named below the target's prefix.</summary>
public enum RelocationNaming
{
    /// <summary><c>HOST/PREFIX/&lt;original repository path&gt;</c>: readable, keeps the original structure (the default).</summary>
    Prefix,
    /// <summary><c>HOST/PREFIX/&lt;original path with / as -&gt;</c>: one level below the prefix, for registries that limit path depth.</summary>
    Flat,
}

/// <summary>A relocation target: <c>HOST[:PORT][/PREFIX]</c>.</summary>
public sealed record RelocationTarget(string Registry, string Prefix)
{
    public static RelocationTarget Parse(string text)
    {
        var value = text.Trim().TrimEnd('/');
        if (value.Contains("://", StringComparison.Ordinal))
            throw new OciException(ErrorCodes.InvalidBundleSetting, $"The relocation registry '{text}' must be HOST[:PORT][/PREFIX], without http:// or https://.");
        var slash = value.IndexOf('/');
        var registry = slash < 0 ? value : value[..slash];
        var prefix = slash < 0 ? "" : value[(slash + 1)..];
        // A repository under the prefix must parse as HOST/PREFIX/x: that checks the host and the prefix's characters at once.
        if (registry.Length == 0 || !ImageReference.TryParse($"{value}/x", out var probe, out _) || probe!.Registry != registry)
            throw new OciException(ErrorCodes.InvalidBundleSetting,
                $"The relocation registry '{text}' is not HOST[:PORT][/PREFIX] (for example registry.internal:5000/team): the host must have a '.' or ':' or be localhost, and the prefix lowercase path components.");
        return new RelocationTarget(registry, prefix);
    }

    public override string ToString() => Prefix.Length == 0 ? Registry : $"{Registry}/{Prefix}";
}

/// <summary>One image of a bundle and where relocation puts it.</summary>
/// <param name="Original">The image string exactly as bundle.json has it (the relocation map's key).</param>
/// <param name="Source">That reference, parsed.</param>
/// <param name="Repository">The repository at the target (without the registry).</param>
/// <param name="Tag">The original tag, carried over for people when no other image of the bundle claims the same repository and tag.</param>
public sealed record RelocatedImage(string Original, ImageReference Source, Descriptor Descriptor, string Registry, string Repository, string? Tag)
{
    /// <summary>The map's value: <c>HOST/PREFIX/...@sha256:...</c>, digest pinned.</summary>
    public string Relocated => $"{Registry}/{Repository}@{Descriptor.Digest}";
}

/// <summary>Where every image of a bundle goes. Pure: naming only, no network.</summary>
public static class RelocationPlanner
{
    public static IReadOnlyList<RelocatedImage> Plan(CnabBundle bundle, RelocationTarget target, RelocationNaming naming)
    {
        var planned = new List<RelocatedImage>();
        foreach (var (role, image) in bundle.AllImages())
        {
            if (planned.Any(p => p.Original == image.Image)) continue; // the same image listed twice is relocated once
            if (!ImageReference.TryParse(image.Image, out var source, out var error))
                throw new OciException(ErrorCodes.InvalidBundle, $"{role}: {error}");
            if (!Digest.TryParse(image.ContentDigest, out var digest))
                throw new OciException(ErrorCodes.InvalidBundle, $"{role}: '{image.Image}' has no contentDigest; a bundle is relocated by digest.");
            var path = naming == RelocationNaming.Flat ? source!.Repository.Replace('/', '-') : source!.Repository;
            var repository = target.Prefix.Length == 0 ? path : $"{target.Prefix}/{path}";
            if (repository.Length > 255)
                throw new OciException(ErrorCodes.InvalidBundleSetting, $"The relocated repository '{repository}' is longer than 255 characters; use a shorter prefix or flat naming.");
            var descriptor = new Descriptor { MediaType = image.MediaType ?? MediaTypes.OciManifest, Digest = digest, Size = image.Size ?? 0 };
            planned.Add(new RelocatedImage(image.Image, source, descriptor, target.Registry, repository, source.Tag));
        }
        if (naming == RelocationNaming.Flat)
        {
            // Flattening can make two repositories one (a/b-c and a-b/c): refuse rather than mix unrelated images.
            foreach (var clash in planned.GroupBy(p => p.Repository).Where(g => g.Select(p => p.Source.Repository).Distinct().Count() > 1))
                throw new OciException(ErrorCodes.InvalidBundleSetting,
                    $"Flat relocation names {string.Join(" and ", clash.Select(p => p.Source.Repository).Distinct())} both '{clash.Key}'; use prefix naming.");
        }
        // A tag is carried over only when it names one image at the target; otherwise those images are known by digest alone.
        var clashing = planned.Where(p => p.Tag is not null).GroupBy(p => (p.Repository, p.Tag))
            .Where(g => g.Select(p => p.Descriptor.Digest).Distinct().Count() > 1).Select(g => g.Key).ToHashSet();
        return planned.Select(p => clashing.Contains((p.Repository, p.Tag)) ? p with { Tag = null } : p).ToList();
    }
}
