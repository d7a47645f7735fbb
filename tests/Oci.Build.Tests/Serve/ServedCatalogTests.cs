using Oci.Build.Cli.Serve;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Serve;

/// <summary>How `dotnet oci serve` names repositories: the images' original repositories, NAME=LOCATION, and --prefix.</summary>
public sealed class ServedCatalogTests(ServedImages images) : IClassFixture<ServedImages>
{
    [Theory]
    [InlineData("registry.example/samples/web:1.0", "samples/web", "1.0")]
    [InlineData("localhost:5000/team/app:2", "team/app", "2")]
    [InlineData("localhost/app:2", "app", "2")]
    [InlineData("samples/web:1.0", "samples/web", "1.0")]       // no host: the first component stays
    [InlineData("hello-oci:1.0.0", "hello-oci", "1.0.0")]
    [InlineData("1.0", "own", "1.0")]                           // a tag-only name: the location's own repository
    [InlineData(null, "own", null)]                             // no name: by digest only
    public void Names_come_from_the_ref_name_annotation(string? refName, string repository, string? tag)
    {
        Assert.Equal((repository, tag), ServedCatalog.Name(refName, "own", "test"));
    }

    [Theory]
    [InlineData("registry.example/Samples/web:1.0")]
    [InlineData("registry.example/samples/web:bad tag")]
    [InlineData("registry.example/samples//web:1")]
    public void An_invalid_name_is_a_coded_error(string refName)
    {
        Assert.Equal(ErrorCodes.InvalidRepositoryName, Assert.Throws<OciException>(() => ServedCatalog.Name(refName, "own", "test")).Code);
    }

    [Fact]
    public async Task A_prefix_relocates_every_repository_and_blobs_stay_with_the_repositories_that_reference_them()
    {
        using var catalog = await ServedCatalog.OpenAsync(images.Locations.Select(ServedLocation.Parse).ToList(), "site/a", CancellationToken.None);
        Assert.Equal(["site/a/samples/web", "site/a/tools/data"], catalog.Repositories.Keys);
        var web = catalog.Repositories["site/a/samples/web"];
        Assert.Equal(images.Web.Manifest.Digest, web.Tags["1.0"]);
        Assert.Equal(images.WebManifest.Layers.Select(l => l.Digest.ToString()).Append(images.WebManifest.Config.Digest.ToString()).Order(), web.Blobs.Keys.Select(d => d.ToString()).Order());
    }
}
