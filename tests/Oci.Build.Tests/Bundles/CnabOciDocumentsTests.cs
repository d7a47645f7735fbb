using System.Text;
using System.Text.Json;
using Oci.Build.Bundles;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Bundles;

/// <summary>The registry form of a bundle, as cnab-to-oci writes it (converter/convert.go, converter/types.go).</summary>
public class CnabOciDocumentsTests
{
    private static CnabImage Image(string repository, string seed, string mediaType = MediaTypes.OciManifest)
    {
        var digest = Digest.Of(Encoding.UTF8.GetBytes(seed));
        return new CnabImage { Image = $"{repository}@{digest}", ContentDigest = digest.ToString(), Size = 700 + seed.Length, MediaType = mediaType };
    }

    private static readonly CnabBundle Bundle = new()
    {
        Name = "contoso.shop",
        Version = "2.1.0",
        Keywords = ["shop", "air-gap"],
        InvocationImages = [Image("reg.example/shop/run:2.1.0", "run")],
        Images = new Dictionary<string, CnabImage>
        {
            ["web"] = Image("reg.example/shop/web:2.1.0", "web"),
            ["api"] = Image("reg.example/shop/api:2.1.0", "api", MediaTypes.OciIndex),
        },
    };

    [Fact]
    public void Config_blob_is_the_canonical_bundle_and_the_config_manifest_has_the_cnab_config_media_type_and_no_layers()
    {
        var canonical = BundleJson.Serialize(Bundle);
        var documents = CnabOciDocuments.Create(Bundle, canonical);
        Assert.Equal(canonical, documents.Config.Content);
        using var manifest = JsonDocument.Parse(documents.ConfigManifest.Content);
        // cnab-to-oci's config manifest has no layers; the image-spec 1.0 schema copied here wants at least one (1.1 dropped
        // that rule for artifacts). Nothing else may differ.
        Assert.Equal(["#/layers: TooFewItems layers"], OciSchemas.Validate(OciSchemas.Manifest, Encoding.UTF8.GetString(documents.ConfigManifest.Content)));
        Assert.Equal("application/vnd.cnab.config.v1+json", manifest.RootElement.GetProperty("config").GetProperty("mediaType").GetString());
        Assert.Equal(Digest.Of(canonical).ToString(), manifest.RootElement.GetProperty("config").GetProperty("digest").GetString());
        Assert.Equal(0, manifest.RootElement.GetProperty("layers").GetArrayLength());
    }

    [Fact]
    public void Index_lists_config_then_the_invocation_image_then_components_by_name_with_cnab_annotations()
    {
        var documents = CnabOciDocuments.Create(Bundle, BundleJson.Serialize(Bundle));
        var json = Encoding.UTF8.GetString(documents.Index.Content);
        Assert.Empty(OciSchemas.Validate(OciSchemas.Index, json));
        var root = JsonDocument.Parse(json).RootElement;
        var manifests = root.GetProperty("manifests").EnumerateArray().ToList();
        Assert.Equal(["config", "invocation", "component", "component"],
            manifests.Select(m => m.GetProperty("annotations").GetProperty("io.cnab.manifest.type").GetString()!).ToArray());
        Assert.Equal(documents.ConfigManifest.Descriptor.Digest.ToString(), manifests[0].GetProperty("digest").GetString());
        Assert.Equal(Bundle.InvocationImages[0].ContentDigest, manifests[1].GetProperty("digest").GetString());
        Assert.Equal(["api", "web"], manifests.Skip(2).Select(m => m.GetProperty("annotations").GetProperty("io.cnab.component.name").GetString()!).ToArray());
        Assert.Equal(MediaTypes.OciIndex, manifests[2].GetProperty("mediaType").GetString());
        Assert.Equal(Bundle.Images!["api"].Size, manifests[2].GetProperty("size").GetInt64());

        var annotations = root.GetProperty("annotations");
        Assert.Equal("1.2.0", annotations.GetProperty("io.cnab.runtime_version").GetString());
        Assert.Equal("contoso.shop", annotations.GetProperty("org.opencontainers.image.title").GetString());
        Assert.Equal("2.1.0", annotations.GetProperty("org.opencontainers.image.version").GetString());
        Assert.Equal("", annotations.GetProperty("org.opencontainers.image.description").GetString());
        Assert.Equal("application/vnd.cnab.manifest.v1", annotations.GetProperty("org.opencontainers.artifactType").GetString());
        Assert.Equal("[\"shop\",\"air-gap\"]", annotations.GetProperty("io.cnab.keywords").GetString());
    }

    [Fact]
    public void A_bundle_with_two_invocation_images_has_no_registry_form()
    {
        var two = Bundle with { InvocationImages = [Bundle.InvocationImages[0], Image("reg.example/shop/run2:1", "run2")] };
        Assert.Equal(ErrorCodes.InvalidBundle, Assert.Throws<OciException>(() => CnabOciDocuments.Create(two, BundleJson.Serialize(two))).Code);
    }
}
