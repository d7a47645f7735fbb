using System.Text;
using System.Text.Json;
using Oci.Build.Bundles;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Bundles;

public class RelocationPlanTests
{
    private static readonly Digest Web = Digest.Of("web"u8), Db = Digest.Of("db"u8), Run = Digest.Of("run"u8), OtherDb = Digest.Of("db2"u8);

    private static CnabImage Image(string reference, Digest digest) => new()
    {
        Image = $"{reference}@{digest}", ContentDigest = digest.ToString(), Size = 500, MediaType = MediaTypes.OciManifest,
    };

    private static CnabBundle Bundle(params (string Name, CnabImage Image)[] extra) => new()
    {
        Name = "shop",
        Version = "1.0.0",
        InvocationImages = [Image("samples/shop-invocation:1.0.0", Run)],
        Images = new Dictionary<string, CnabImage>(extra.Select(e => KeyValuePair.Create(e.Name, e.Image)))
        {
            ["web"] = Image("registry.example:5000/team/web:1.0.0", Web),
            ["db"] = Image("postgres:17", Db),
        },
    };

    [Fact]
    public void Prefix_naming_keeps_the_original_repository_path_below_the_prefix_and_pins_every_digest()
    {
        var plan = RelocationPlanner.Plan(Bundle(), RelocationTarget.Parse("internal.example:5000/site-a"), RelocationNaming.Prefix);
        var map = plan.ToDictionary(p => p.Original, p => p.Relocated);
        Assert.Equal($"internal.example:5000/site-a/samples/shop-invocation@{Run}", map[$"samples/shop-invocation:1.0.0@{Run}"]);
        Assert.Equal($"internal.example:5000/site-a/team/web@{Web}", map[$"registry.example:5000/team/web:1.0.0@{Web}"]);
        Assert.Equal($"internal.example:5000/site-a/library/postgres@{Db}", map[$"postgres:17@{Db}"]); // docker.io normalization
        Assert.Equal("17", plan.Single(p => p.Descriptor.Digest == Db).Tag);
    }

    [Fact]
    public void Flat_naming_puts_every_repository_one_level_below_the_prefix()
    {
        var plan = RelocationPlanner.Plan(Bundle(), RelocationTarget.Parse("internal.example/site-a"), RelocationNaming.Flat);
        Assert.Equal(["site-a/samples-shop-invocation", "site-a/library-postgres", "site-a/team-web"], plan.Select(p => p.Repository).ToArray());
        var noPrefix = RelocationPlanner.Plan(Bundle(), RelocationTarget.Parse("localhost:5000"), RelocationNaming.Flat);
        Assert.Equal("localhost:5000/team-web@" + Web, noPrefix.Single(p => p.Descriptor.Digest == Web).Relocated);
    }

    [Fact]
    public void Flat_naming_refuses_two_repositories_that_flatten_to_one_name()
    {
        var bundle = Bundle(("a", Image("example.com/a/b-c:1", OtherDb)), ("b", Image("example.com/a-b/c:1", Web)));
        Assert.Equal(ErrorCodes.InvalidBundleSetting,
            Assert.Throws<OciException>(() => RelocationPlanner.Plan(bundle, RelocationTarget.Parse("internal.example/x"), RelocationNaming.Flat)).Code);
    }

    [Fact]
    public void A_tag_that_two_different_images_would_share_at_the_target_is_dropped_for_both()
    {
        var bundle = Bundle(("db-mirror", Image("mirror.example/library/postgres:17", OtherDb)));
        var plan = RelocationPlanner.Plan(bundle, RelocationTarget.Parse("internal.example"), RelocationNaming.Prefix);
        Assert.All(plan.Where(p => p.Repository == "library/postgres"), p => Assert.Null(p.Tag));
        Assert.Equal(2, plan.Count(p => p.Repository == "library/postgres"));
    }

    [Theory]
    [InlineData("https://internal.example/x")]
    [InlineData("internal/x")]
    [InlineData("internal.example/UPPER")]
    [InlineData("")]
    public void Malformed_relocation_targets_are_refused_with_OCI4004(string target) =>
        Assert.Equal(ErrorCodes.InvalidBundleSetting, Assert.Throws<OciException>(() => RelocationTarget.Parse(target)).Code);

    [Fact]
    public void The_mapping_has_exactly_the_bundles_image_strings_as_keys_and_matches_the_cnab_schema()
    {
        var bundle = Bundle();
        var plan = RelocationPlanner.Plan(bundle, RelocationTarget.Parse("internal.example/site-a"), RelocationNaming.Prefix);
        var bytes = RelocationMapping.Serialize(bundle, plan);
        Assert.Empty(CnabSchemas.Validate(CnabSchemas.RelocationMapping, Encoding.UTF8.GetString(bytes)));
        Assert.Equal(bytes, CanonicalJson.Canonicalize(bytes));
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(bytes)!;
        Assert.Equal(bundle.AllImages().Select(i => i.Image.Image).Order(), map.Keys.Order());
        Assert.All(map.Values, v => Assert.Matches("^internal\\.example/site-a/.+@sha256:[a-f0-9]{64}$", v));

        // Never a partial map: a plan that misses an image is refused and nothing is written.
        using var temp = new TempDirectory();
        var path = temp.Combine("relocation-mapping.json");
        Assert.Equal(ErrorCodes.BundleImageMissing, Assert.Throws<OciException>(() => RelocationMapping.Write(path, bundle, plan.Skip(1).ToList())).Code);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }
}
