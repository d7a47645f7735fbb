using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

public class OciSchemaTests
{
    [Fact]
    public void Schemas_accept_a_valid_manifest_and_refuse_a_broken_one()
    {
        const string valid = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0}]}
            """;
        Assert.Empty(OciSchemas.Validate(OciSchemas.Manifest, valid));
        var broken = valid.Replace("\"size\":0}]", "\"size\":\"zero\"}]").Replace("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":0},", "sha256:XYZ\",\"size\":0},");
        Assert.NotEmpty(OciSchemas.Validate(OciSchemas.Manifest, broken));
    }
}
