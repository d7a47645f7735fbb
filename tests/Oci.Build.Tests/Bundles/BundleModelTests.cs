using System.Text;
using System.Text.Json;
using Oci.Build.Bundles;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Bundles;

public class BundleModelTests
{
    private static readonly Digest AppDigest = Digest.Of("app manifest"u8);
    private static readonly Digest RunDigest = Digest.Of("invocation manifest"u8);
    private static readonly Digest DbDigest = Digest.Of("database index"u8);

    private static CnabImage Pinned(string repository, Digest digest, string mediaType = MediaTypes.OciManifest, long size = 1234) => new()
    {
        Image = $"{repository}@{digest}",
        ContentDigest = digest.ToString(),
        Size = size,
        MediaType = mediaType,
    };

    private static CnabBundle Release() => new()
    {
        Name = "contoso.shop",
        Version = "1.4.0-rc.1+build.7",
        Description = "Shop <release> & friends: café",
        InvocationImages = [Pinned("registry.example/shop/shop-invocation:1.4.0", RunDigest)],
        Images = new Dictionary<string, CnabImage>
        {
            ["web"] = Pinned("registry.example/shop/web:1.4.0", AppDigest),
            ["db"] = Pinned("docker.io/library/postgres:17", DbDigest, MediaTypes.OciIndex, 10229) with { Description = "database" },
        },
    };

    [Fact]
    public void Bundle_json_is_canonical_and_valid_against_the_cnab_schema()
    {
        var bytes = BundleJson.Serialize(Release());
        var json = Encoding.UTF8.GetString(bytes);
        Assert.Empty(CnabSchemas.Validate(CnabSchemas.Bundle, json));
        Assert.Equal(bytes, CanonicalJson.Canonicalize(bytes));
        // Literal UTF-8 and no HTML escaping (System.Text.Json would write \u003C, \u0026, \u00E9).
        Assert.Contains("Shop <release> & friends: café", json);
        Assert.StartsWith("{\"description\":", json);
        Assert.DoesNotContain(" ", json.Replace("Shop <release> & friends: café", ""));
    }

    [Fact]
    public void Images_carry_digest_descriptor_size_media_type_and_the_fields_cnab_go_always_writes()
    {
        using var document = JsonDocument.Parse(BundleJson.Serialize(Release()));
        var root = document.RootElement;
        Assert.Equal("1.2.0", root.GetProperty("schemaVersion").GetString());
        var db = root.GetProperty("images").GetProperty("db");
        Assert.Equal($"docker.io/library/postgres:17@{DbDigest}", db.GetProperty("image").GetString());
        Assert.Equal(DbDigest.ToString(), db.GetProperty("contentDigest").GetString());
        Assert.Equal(10229, db.GetProperty("size").GetInt64());
        Assert.Equal(MediaTypes.OciIndex, db.GetProperty("mediaType").GetString());
        Assert.Equal("oci", db.GetProperty("imageType").GetString());
        var invocation = root.GetProperty("invocationImages")[0];
        Assert.Equal("", invocation.GetProperty("description").GetString());
        Assert.Equal("oci", invocation.GetProperty("imageType").GetString());
        Assert.False(root.TryGetProperty("custom", out _));
    }

    [Fact]
    public void A_bundle_read_back_serializes_to_the_same_bytes()
    {
        var bytes = BundleJson.Serialize(Release());
        var read = BundleJson.Deserialize(bytes, "bundle");
        Assert.Equal(bytes, BundleJson.Serialize(read));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("0.0.1")]
    [InlineData("10.20.30")]
    [InlineData("1.0.0-alpha.1")]
    [InlineData("1.0.0-0A.is.legal")]
    [InlineData("1.0.0+20260101.sha.5114f85")]
    [InlineData("1.0.0-rc.1+build.1")]
    public void SemVer_2_versions_are_accepted(string version) => Assert.True(SemanticVersion.IsValid(version));

    [Theory]
    [InlineData("latest")]
    [InlineData("1")]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("1.0.0.0")]
    [InlineData("01.0.0")]
    [InlineData("1.0.0-01")]
    [InlineData("1.0.0-")]
    [InlineData("1.0.0+")]
    [InlineData("1.٣.0")]
    [InlineData("")]
    public void Non_semver_versions_are_refused_with_OCI4001(string version)
    {
        var error = Assert.Throws<OciException>(() => BundleJson.Serialize(Release() with { Version = version }));
        Assert.Equal(ErrorCodes.InvalidBundleVersion, error.Code);
        Assert.Contains("Semantic Version", error.Message);
    }

    [Fact]
    public void The_schema_alone_accepts_bundles_the_semantic_checks_refuse()
    {
        // What the CNAB schema lets through (cnab.md): a nonsense schemaVersion, no invocation image, undigested images,
        // a required extension that custom lacks and a parameter whose definition does not exist.
        const string weak = """
            {"schemaVersion":"banana","name":"x","version":"1.0.0","invocationImages":[],
             "images":{"web":{"image":"example/web:latest"}},
             "requiredExtensions":["io.example.missing"],
             "parameters":{"port":{"definition":"nope","destination":{"env":"PORT"}}}}
            """;
        Assert.Empty(CnabSchemas.Validate(CnabSchemas.Bundle, weak));
        var problems = string.Join("\n", BundleValidator.Problems(BundleJson.Deserialize(Encoding.UTF8.GetBytes(weak), "bundle")));
        Assert.Contains("schemaVersion 'banana'", problems);
        Assert.Contains("invocationImages is empty", problems);
        Assert.Contains("not pinned by digest", problems);
        Assert.Contains("contentDigest", problems);
        Assert.Contains("size", problems);
        Assert.Contains("mediaType", problems);
        Assert.Contains("io.example.missing", problems);
        Assert.Contains("definition 'nope'", problems);
    }

    [Fact]
    public void A_content_digest_that_differs_from_the_reference_digest_is_refused_with_OCI4002()
    {
        var bundle = Release() with { InvocationImages = [Pinned("registry.example/shop/run", RunDigest) with { ContentDigest = AppDigest.ToString() }] };
        var error = Assert.Throws<OciException>(() => BundleJson.Serialize(bundle));
        Assert.Equal(ErrorCodes.InvalidBundle, error.Code);
        Assert.Contains("differs", error.Message);
    }

    [Fact]
    public void An_invalid_bundle_is_never_written()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "bundle.json");
        Assert.Throws<OciException>(() => BundleJson.Write(Release() with { Images = new Dictionary<string, CnabImage> { ["web"] = new() { Image = "web:1" } } }, path));
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
        BundleJson.Write(Release(), path);
        Assert.Equal(BundleJson.Serialize(Release()), File.ReadAllBytes(path));
        Assert.Single(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Malformed_bundle_json_is_refused_with_OCI4002()
    {
        Assert.Equal(ErrorCodes.InvalidBundle, Assert.Throws<OciException>(() => BundleJson.Deserialize("{\"name\":"u8, "bundle")).Code);
        Assert.Equal(ErrorCodes.InvalidBundle, Assert.Throws<OciException>(() => BundleJson.Deserialize("{\"name\":\"x\"}"u8, "bundle")).Code);
    }
}
