using System.Text.Json;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Bundles;

/// <summary>
/// samples/AirGapRelease (with HelloOci and InventoryWorker beside it) published twice from clean copies, each with its own
/// cache: `dotnet publish AirGapRelease -c Release -p:ContainerThickArchive=true -p:ContainerArchiveIncludeTool=true`,
/// as docs/bundles.md and docs/air-gap.md show (the thick archive of both publishes must be byte-identical), signed
/// with ContainerSigningKey (docs/trust.md): the archive's checksum file and its images, with deterministic signatures
/// that keep the two archives identical. The archive also carries the dotnet-oci tool package (packed from source on
/// demand, deterministically).
/// </summary>
public sealed class PublishedRelease : IDisposable
{
    public static readonly string[] Apps = ["HelloOci", "InventoryWorker"];

    private readonly TempDirectory _keys = new("release-keys");

    public PublishedRelease()
    {
        ProcessRunner.Run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", SigningKey).EnsureSuccess("openssl genpkey");
        ProcessRunner.Run("openssl", "pkey", "-in", SigningKey, "-pubout", "-out", PublicKey).EnsureSuccess("openssl pkey");
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

    private Dictionary<string, string> ThickArchive => new() { ["ContainerThickArchive"] = "true", ["ContainerArchiveIncludeTool"] = "true", ["ContainerSigningKey"] = SigningKey };

    public string SigningKey => _keys.Combine("cosign.key");

    /// <summary>The public half of the key the release's thick archive is signed with.</summary>
    public string PublicKey => _keys.Combine("cosign.pub");

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

    private readonly TempDirectory _site = new("release-site-tool");
    private string? _installedTool;

    /// <summary>
    /// dotnet-oci as the site runs it: installed once, offline, from the first archive's tools/ (on this machine dotnet
    /// picks the natively compiled linux-x64 package). The import tests run this program, not the build's own CLI.
    /// </summary>
    public string InstalledTool => _installedTool ??= InstallToolFromArchive(ThickArchivePath(First), _site.Path);

    /// <summary>
    /// What a site does (docs/air-gap.md): takes tools/ and the checksums out of the archive with tar, checks the packages
    /// with sha256sum, then installs from that folder alone. No other package source: the nuget.config in the folder clears
    /// every source (the machine's and the user's), and an empty package folder means nothing comes from a cache either.
    /// Returns the installed dotnet-oci.
    /// </summary>
    public static string InstallToolFromArchive(string archive, string work)
    {
        ProcessRunner.Run("tar", ["-xf", archive, "./tools", "./checksums.sha256"], work).EnsureSuccess("tar -x tools");
        ProcessRunner.Run("sh", ["-c", "grep ' ./tools/' checksums.sha256 | sha256sum -c"], work).EnsureSuccess("sha256sum -c of the tool packages");
        File.WriteAllText(Path.Combine(work, "nuget.config"), "<configuration><packageSources><clear /></packageSources></configuration>");
        ProcessRunner.Run("dotnet", ["tool", "install", "--tool-path", Path.Combine(work, "bin"), "--add-source", Path.Combine(work, "tools"), "Oci.Build.Cli", "--version", "1.0.0"],
                work, OfflineEnvironment(work))
            .EnsureSuccess("dotnet tool install from the archive's tools/");
        return Path.Combine(work, "bin", "dotnet-oci");
    }

    /// <summary>No NuGet cache of the machine's: packages land in the work folder.</summary>
    public static Dictionary<string, string?> OfflineEnvironment(string work) =>
        new() { ["NUGET_PACKAGES"] = Path.Combine(work, "packages"), ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };

    public void Dispose()
    {
        First.Dispose();
        Second.Dispose();
        _keys.Dispose();
        _site.Dispose();
    }
}
