using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.MultiPlatform;

/// <summary>
/// HelloOci published once for <c>ContainerRuntimeIdentifiers="linux-x64;linux-arm64"</c> on the two-platform base layout,
/// with an OCI archive and a push to a real registry; shared by the tests that read the result.
/// </summary>
public sealed class MultiPlatformPublish : IDisposable
{
    public const string Repository = "team/hello";

    public MultiPlatformPublish()
    {
        Work = new TempDirectory("multi-platform");
        Registry = new RegistryServer();
        BaseLayout = Work.Combine("base-index");
        SharedBaseLayer = TwoPlatformBaseLayout.Build(Work.Path, BaseLayout, Work.Combine("base-cache"));
        Sample = new SampleProject();
        ArchivePath = Work.Combine("hello.tar");
        // The .NET SDK's outputs, as a project that consumes them after the image step sees them.
        var consumer = Work.Combine("consumer.targets");
        File.WriteAllText(consumer, """
            <Project>
              <Target Name="ShowSdkOutputs" AfterTargets="OciPublishImage">
                <Message Importance="high" Text="SDK-IMAGE-INDEX=$(GeneratedImageIndex)" />
                <Message Importance="high" Text="SDK-MANIFEST=[$(GeneratedContainerManifest)] SDK-CONFIG=[$(GeneratedContainerConfiguration)]" />
              </Target>
            </Project>
            """);
        var emptyConf = Work.Combine("registries.conf");
        File.WriteAllText(emptyConf, "# none\n");
        Result = Sample.Publish(new Dictionary<string, string>
        {
            ["ContainerBaseImage"] = $"oci:{BaseLayout}:{TwoPlatformBaseLayout.Tag}",
            // As a user types it: the quotes keep MSBuild from reading the second identifier as a property.
            ["ContainerRuntimeIdentifiers"] = "\"linux-x64;linux-arm64\"",
            ["ContainerRegistry"] = Registry.Host,
            ["ContainerRepository"] = Repository,
            ["ContainerRegistriesConfig"] = emptyConf,
            ["ContainerArchiveOutputPath"] = ArchivePath,
            ["CustomAfterMicrosoftCommonTargets"] = consumer,
        }, new Dictionary<string, string?> { ["DOCKER_CONFIG"] = Work.Combine("no-docker-config") });
    }

    public TempDirectory Work { get; }
    public RegistryServer Registry { get; }
    public string BaseLayout { get; }
    public global::Oci.Build.Oci.Digest SharedBaseLayer { get; }
    public SampleProject Sample { get; }
    public string ArchivePath { get; }
    public ProcessResult Result { get; }

    public void Dispose()
    {
        Sample.Dispose();
        Registry.Dispose();
        Work.Dispose();
    }
}
