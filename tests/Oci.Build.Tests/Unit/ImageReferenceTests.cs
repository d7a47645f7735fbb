using Oci.Build.Oci;

namespace Oci.Build.Tests.Unit;

public class ImageReferenceTests
{
    [Theory]
    [InlineData("ubuntu", "docker.io", "library/ubuntu", null)]
    [InlineData("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04")]
    [InlineData("contoso/orders:1.2", "docker.io", "contoso/orders", "1.2")]
    [InlineData("mcr.microsoft.com/dotnet/runtime-deps:10.0", "mcr.microsoft.com", "dotnet/runtime-deps", "10.0")]
    [InlineData("localhost:5000/x/hello:v1", "localhost:5000", "x/hello", "v1")]
    [InlineData("127.0.0.1:34567/base:1", "127.0.0.1:34567", "base", "1")]
    [InlineData("localhost/app", "localhost", "app", null)]
    public void Parses_registry_repository_and_tag(string text, string registry, string repository, string? tag)
    {
        var reference = ImageReference.Parse(text);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Null(reference.Digest);
    }

    [Fact]
    public void Parses_tag_and_digest_together()
    {
        const string digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        var reference = ImageReference.Parse($"registry.example.net/team/app:1.0@{digest}");
        Assert.Equal("1.0", reference.Tag);
        Assert.Equal(digest, reference.Digest?.ToString());
        Assert.Equal(digest, reference.ManifestReference);
        Assert.Equal($"registry.example.net/team/app:1.0@{digest}", reference.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Contoso/Orders")]          // uppercase repository
    [InlineData("app:")]                     // empty tag
    [InlineData("app@sha256:abc")]           // short digest
    [InlineData("app:-bad")]                 // tag cannot start with '-'
    [InlineData("a//b")]
    public void Refuses_invalid_references_with_a_coded_error(string text)
    {
        var error = Assert.Throws<OciException>(() => ImageReference.Parse(text));
        Assert.Equal(ErrorCodes.InvalidBaseImage, error.Code);
    }

    [Fact]
    public void Latest_is_the_default_manifest_reference()
    {
        Assert.Equal("latest", ImageReference.Parse("example.com/app").ManifestReference);
    }
}
