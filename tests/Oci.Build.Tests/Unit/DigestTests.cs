using Oci.Build.Oci;

namespace Oci.Build.Tests.Unit;

public class DigestTests
{
    [Fact]
    public void Of_empty_content_is_the_well_known_sha256()
    {
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Digest.Of([]).ToString());
    }

    [Theory]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")] // uppercase hex
    [InlineData("sha256:e3b0c4")]                                                             // too short
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]                                      // unknown algorithm
    [InlineData("sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("")]
    public void TryParse_refuses_malformed_digests(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Digest.Parse(text));
    }

    [Fact]
    public void Parse_round_trips()
    {
        const string text = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        var digest = Digest.Parse(text);
        Assert.Equal("sha256", digest.Algorithm);
        Assert.Equal(text, digest.ToString());
    }
}
