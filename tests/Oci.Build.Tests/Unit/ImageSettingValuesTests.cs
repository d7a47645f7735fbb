using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Unit;

public class ImageSettingValuesTests
{
    [Theory]
    [InlineData("8080", null, "8080/tcp")]
    [InlineData("53", "UDP", "53/udp")]
    [InlineData(" 443 ", "tcp", "443/tcp")]
    public void Ports_become_port_slash_protocol(string number, string? type, string expected)
    {
        Assert.Equal(expected, ImageSettingValues.Port(number, type));
    }

    [Theory]
    [InlineData("0", "tcp")]
    [InlineData("65536", "tcp")]
    [InlineData("http", "tcp")]
    [InlineData("80", "sctp")]
    public void Invalid_ports_are_coded_errors(string number, string type)
    {
        Assert.Equal(ErrorCodes.InvalidSetting, Assert.Throws<OciException>(() => ImageSettingValues.Port(number, type)).Code);
    }

    [Fact]
    public void Tags_are_trimmed_deduplicated_and_default_to_latest()
    {
        Assert.Equal(["1.0", "latest"], ImageSettingValues.Tags([" 1.0", "latest", "1.0", ""]));
        Assert.Equal(["latest"], ImageSettingValues.Tags([]));
        Assert.Equal(ErrorCodes.InvalidSetting, Assert.Throws<OciException>(() => ImageSettingValues.Tags(["ok", ".hidden"])).Code);
    }

    [Theory]
    [InlineData("Layered", LayeringMode.Layered)]
    [InlineData("single", LayeringMode.Single)]
    [InlineData(null, LayeringMode.Layered)]
    public void Layering_modes(string? value, LayeringMode expected) => Assert.Equal(expected, ImageSettingValues.Layering(value));

    [Fact]
    public void Unknown_layering_and_bad_repositories_are_coded_errors()
    {
        Assert.Equal(ErrorCodes.InvalidSetting, Assert.Throws<OciException>(() => ImageSettingValues.Layering("per-file")).Code);
        Assert.Equal(ErrorCodes.InvalidSetting, Assert.Throws<OciException>(() => ImageSettingValues.Repository("Contoso/Orders")).Code);
        Assert.Equal("contoso/orders", ImageSettingValues.Repository(" contoso/orders "));
    }
}
