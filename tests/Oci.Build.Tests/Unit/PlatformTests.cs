using Oci.Build.Oci;

namespace Oci.Build.Tests.Unit;

public class PlatformTests
{
    [Theory]
    [InlineData("linux-x64", "linux", "amd64", null)]
    [InlineData("linux-arm64", "linux", "arm64", "v8")]
    [InlineData("linux-musl-x64", "linux", "amd64", null)]
    [InlineData("linux-arm", "linux", "arm", "v7")]
    [InlineData("win-x64", "windows", "amd64", null)]
    public void Maps_runtime_identifiers_to_oci_platforms(string rid, string os, string architecture, string? variant)
    {
        var platform = Platform.FromRuntimeIdentifier(rid);
        Assert.Equal((os, architecture, variant), (platform.Os, platform.Architecture, platform.Variant));
    }

    [Theory]
    [InlineData("osx-arm64")]
    [InlineData("linux-sparc")]
    [InlineData("linux")]
    public void Refuses_runtime_identifiers_without_a_container_platform(string rid)
    {
        Assert.Equal(ErrorCodes.InvalidSetting, Assert.Throws<OciException>(() => Platform.FromRuntimeIdentifier(rid)).Code);
    }
}
