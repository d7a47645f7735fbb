using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Integration;

/// <summary>
/// HelloOci published once per test run (with an OCI archive) and shared by every test that only reads the result
/// (<see cref="Shared"/>): one publish instead of one per test class. Removed when the test process exits.
/// </summary>
public sealed class PublishedHelloOci : IDisposable
{
    private static readonly Lazy<PublishedHelloOci> Instance = new(() =>
    {
        var published = new PublishedHelloOci();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => published.Dispose();
        return published;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The one published HelloOci; the first test to ask publishes it, the others wait for that.</summary>
    public static PublishedHelloOci Shared => Instance.Value;

    private PublishedHelloOci()
    {
        Sample = new SampleProject();
        ArchivePath = Path.Combine(Sample.Directory, "..", "hello.tar");
        // A later target, as a user would write one, reads the GeneratedContainer item.
        var consumer = Path.Combine(Sample.Directory, "..", "consumer.targets");
        File.WriteAllText(consumer, """
            <Project>
              <Target Name="UseGeneratedContainer" AfterTargets="OciPublishImage">
                <Message Importance="high" Text="GeneratedContainer %(GeneratedContainer.Identity) digest=%(GeneratedContainer.ManifestDigest) layout=%(GeneratedContainer.LayoutPath) summary=%(GeneratedContainer.SummaryPath) archive=%(GeneratedContainer.ArchivePath) GeneratedArchiveOutputPath=$(GeneratedArchiveOutputPath)" />
              </Target>
            </Project>
            """);
        Result = Sample.Publish(new Dictionary<string, string>
        {
            ["ContainerArchiveOutputPath"] = ArchivePath,
            ["CustomAfterMicrosoftCommonTargets"] = consumer,
        });
        Result.EnsureSuccess("dotnet publish HelloOci");
        Layout = OciLayout.Open(Sample.LayoutPath);
        ManifestDescriptor = Layout.FindManifest("latest");
        Manifest = OciJson.Deserialize<ImageManifest>(File.ReadAllBytes(Layout.BlobPath(ManifestDescriptor.Digest)), "manifest");
        Config = JsonNode.Parse(File.ReadAllBytes(Layout.BlobPath(Manifest.Config.Digest)))!.AsObject();
        Summary = JsonNode.Parse(File.ReadAllText(Sample.SummaryPath))!.AsObject();
    }

    public SampleProject Sample { get; }
    public string ArchivePath { get; }
    public ProcessResult Result { get; }
    public OciLayout Layout { get; }
    public Descriptor ManifestDescriptor { get; }
    public ImageManifest Manifest { get; }
    public JsonObject Config { get; }
    public JsonObject Summary { get; }

    public void Dispose() => Sample.Dispose();
}
