using System.Text.Json;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Bundles;

/// <summary>
/// samples/AirGapRelease (with HelloOci and InventoryWorker beside it) published twice from clean copies, each with its own
/// cache: `dotnet publish AirGapRelease -c Release -p:ContainerThickArchive=true`, as docs/bundles.md and docs/air-gap.md
/// show (the thick archive of both publishes must be byte-identical).
/// </summary>
public sealed class PublishedRelease : IDisposable
{
    public static readonly string[] Apps = ["HelloOci", "InventoryWorker"];

    public PublishedRelease()
    {
        First = new SampleProject("AirGapRelease", siblings: Apps);
        Second = new SampleProject("AirGapRelease", siblings: Apps);
        // Prove the GeneratedBundle item: a later target of the same publish prints it.
        var project = First.ProjectFile;
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", """
              <Target Name="ShowGeneratedBundle" AfterTargets="OciPublishBundle">
                <Message Importance="high" Text="GeneratedBundle=@(GeneratedBundle) %(GeneratedBundle.BundleName) %(GeneratedBundle.BundleVersion) %(GeneratedBundle.Digest)" />
                <Message Importance="high" Text="GeneratedThickArchive=@(GeneratedThickArchive) %(GeneratedThickArchive.Digest)" />
              </Target>
            </Project>
            """));
        FirstOutput = First.Publish(ThickArchive).EnsureSuccess("publish of the release (first copy)").Output;
        Second.Publish(ThickArchive).EnsureSuccess("publish of the release (second copy)");
    }

    private static Dictionary<string, string> ThickArchive => new() { ["ContainerThickArchive"] = "true" };

    /// <summary>Where the publish writes the thick archive by default: beside the layout, NAME-VERSION.cnab.tar.</summary>
    public static string ThickArchivePath(SampleProject release) => release.Combine("bin", "Release", "net10.0", "contoso.air-gap-release-1.0.0.cnab.tar");

    public SampleProject First { get; }
    public SampleProject Second { get; }
    public string FirstOutput { get; }

    public static string BundlePath(SampleProject release) => release.Combine("bin", "Release", "net10.0", "bundle.json");

    public static string InvocationLayout(SampleProject release) => release.Combine("bin", "Release", "net10.0", "invocation-layout");

    public static string AppLayout(SampleProject release, string app) => release.CombineRoot(app, "bin", "Release", "net10.0", "linux-x64", "oci-layout");

    public static string AppSummary(SampleProject release, string app) => release.CombineRoot(app, "bin", "Release", "net10.0", "linux-x64", "oci-image.json");

    public JsonDocument Bundle() => JsonDocument.Parse(File.ReadAllBytes(BundlePath(First)));

    public void Dispose()
    {
        First.Dispose();
        Second.Dispose();
    }
}
