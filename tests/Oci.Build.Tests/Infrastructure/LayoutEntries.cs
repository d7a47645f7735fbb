using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Sbom;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>The SBOM referrer of one image in a layout, as a publish attaches it (<see cref="LayoutEntries.SbomOf"/>).</summary>
public sealed record AttachedSbom(Descriptor ReferrersIndex, Descriptor Manifest, ImageManifest Content)
{
    /// <summary>Every blob the referrer adds to the layout: the referrers index, the SBOM manifest, its empty config and the SBOM.</summary>
    public IEnumerable<Digest> Blobs => [ReferrersIndex.Digest, Manifest.Digest, Content.Config.Digest, .. Content.Layers.Select(l => l.Digest)];
}

/// <summary>
/// A published layout's index.json holds the image under each tag and, beside it, the SBOM's referrers index (tag
/// <c>sha256-HEX</c>). Tests find the image by its ref name and check that every other entry is a referrer of it.
/// </summary>
public static class LayoutEntries
{
    /// <summary>The image entries (not attached objects), in index.json order.</summary>
    public static IReadOnlyList<Descriptor> Images(OciLayout layout) => AttachedObjects.Images(layout.Index);

    /// <summary>Asserts <paramref name="image"/> has exactly one SPDX SBOM attached in the layout (subject = the image) and returns it.</summary>
    public static AttachedSbom SbomOf(OciLayout layout, Descriptor image)
    {
        var tag = AttachedObjects.ReferrersTag(image.Digest);
        var entry = Assert.Single(layout.Index.Manifests, m => m.Annotation(AnnotationKeys.RefName) == tag);
        Assert.Equal(MediaTypes.OciIndex, entry.MediaType);
        var referrers = OciJson.Deserialize<ImageIndex>(layout.ReadDocument(entry with { Annotations = null }, "referrers index"), "referrers index");
        var sbom = Assert.Single(referrers.Manifests);
        Assert.Equal(SpdxDocument.MediaType, sbom.ArtifactType);
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(sbom with { Annotations = null, ArtifactType = null }, "SBOM manifest"), "SBOM manifest");
        Assert.Equal(SpdxDocument.MediaType, manifest.ArtifactType);
        Assert.Equal(image.Digest, manifest.Subject!.Digest);
        Assert.Equal(SpdxDocument.MediaType, Assert.Single(manifest.Layers).MediaType);
        return new AttachedSbom(entry with { Annotations = null }, sbom, manifest);
    }

    /// <summary>Asserts index.json holds the images under <paramref name="tags"/> and otherwise only the SBOM referrers of <paramref name="subjects"/>.</summary>
    public static void AssertImagesAndTheirSboms(OciLayout layout, IReadOnlyList<string> tags, params Descriptor[] subjects)
    {
        Assert.Equal(tags, Images(layout).Select(m => m.Annotation(AnnotationKeys.RefName)!));
        var attached = layout.Index.Manifests.Except(Images(layout)).Select(m => m.Annotation(AnnotationKeys.RefName)).Order().ToList();
        Assert.Equal(subjects.Select(s => AttachedObjects.ReferrersTag(s.Digest)).Order(), attached);
        foreach (var subject in subjects) SbomOf(layout, subject);
    }
}
