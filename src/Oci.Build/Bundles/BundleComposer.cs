using Oci.Build.Oci;

namespace Oci.Build.Bundles;

/// <summary>One image of a release: where it is known from (<paramref name="Reference"/>, a tag or digest reference) and
/// the manifest or index descriptor it resolved to.</summary>
public sealed record BundleImageInput(string Name, string Reference, Descriptor Descriptor, string Description = "");

public sealed record BundleRequest
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string> Keywords { get; init; } = [];
    public required BundleImageInput InvocationImage { get; init; }
    public IReadOnlyList<BundleImageInput> Images { get; init; } = [];
}

/// <summary>
/// Turns the release's images into a bundle.json: every image named by a digest reference (the tag kept for people,
/// the digest for machines), with the descriptor's digest, size and media type, so the bundle can travel and be relocated.
/// </summary>
public static class BundleComposer
{
    public static CnabBundle Compose(BundleRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
            throw new OciException(ErrorCodes.InvalidBundleSetting, "The bundle has no name: set ContainerBundleName (default: the project's PackageId).");
        SemanticVersion.Require(request.Version, $"The version of bundle '{request.Name}' (ContainerBundleVersion, default: Version)");
        var images = new Dictionary<string, CnabImage>(StringComparer.Ordinal);
        foreach (var image in request.Images)
        {
            if (string.IsNullOrWhiteSpace(image.Name))
                throw new OciException(ErrorCodes.InvalidBundleSetting, $"The image '{image.Reference}' has no component name.");
            if (!images.TryAdd(image.Name, Entry(image)))
                throw new OciException(ErrorCodes.InvalidBundleSetting,
                    $"Two images of bundle '{request.Name}' are named '{image.Name}'; give one another name (ContainerBundleComponentName in the app, or the ContainerBundleImage item's Include).");
        }
        var bundle = new CnabBundle
        {
            Name = request.Name.Trim(),
            Version = request.Version.Trim(),
            Description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim(),
            Keywords = request.Keywords.Count > 0 ? request.Keywords : null,
            InvocationImages = [Entry(request.InvocationImage)],
            Images = images.Count > 0 ? images : null,
        };
        BundleValidator.Validate(bundle);
        return bundle;
    }

    /// <summary>
    /// <c>reference@digest</c>: a reference that already names a digest must name the one that was resolved.
    /// </summary>
    public static string PinnedReference(string reference, Digest digest)
    {
        if (!ImageReference.TryParse(reference, out var parsed, out var error))
            throw new OciException(ErrorCodes.InvalidBundleSetting, error!);
        if (parsed!.Digest is { } pinned)
        {
            if (pinned != digest)
                throw new OciException(ErrorCodes.BundleImageUnresolvable, $"'{reference}' is pinned to {pinned}, but it resolved to {digest}.");
            return reference;
        }
        return $"{reference}@{digest}";
    }

    private static CnabImage Entry(BundleImageInput input) => new()
    {
        Image = PinnedReference(input.Reference, input.Descriptor.Digest),
        ContentDigest = input.Descriptor.Digest.ToString(),
        Size = input.Descriptor.Size,
        MediaType = input.Descriptor.MediaType,
        Description = input.Description,
    };
}
