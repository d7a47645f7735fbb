namespace Oci.Build.Tests.Infrastructure;

/// <summary>
/// A private copy of a sample (default HelloOci) in a temp folder, wired to this repository's Oci.Build sources exactly
/// as samples/ is, so tests can publish, edit and republish it without touching the working tree.
/// </summary>
public sealed class SampleProject : IDisposable
{
    private readonly TempDirectory _root;

    /// <param name="siblings">Other samples copied beside this one (a release project's referenced apps).</param>
    // Samples build the task assembly from source in Release (the test build made Debug). Building it once, before the
    // first sample, lets publishes in parallel test collections find it up to date instead of compiling it together.
    private static readonly Lazy<bool> TasksBuilt = new(() =>
    {
        ProcessRunner.Run("dotnet", ["build", Path.Combine(RepoPaths.Root, "src", "Oci.Build.Tasks", "Oci.Build.Tasks.csproj"), "-c", "Release", "-nodeReuse:false"],
            RepoPaths.Root, new Dictionary<string, string?> { ["MSBUILDDISABLENODEREUSE"] = "1" }).EnsureSuccess("build the task assembly (Release)");
        return true;
    });

    public SampleProject(string sample = "HelloOci", string? cacheDirectory = null, IReadOnlyList<string>? siblings = null)
    {
        _ = TasksBuilt.Value;
        _root = new TempDirectory(sample.ToLowerInvariant());
        Directory = Path.Combine(_root.Path, sample);
        CopyDirectory(Path.Combine(RepoPaths.Samples, sample), Directory);
        foreach (var sibling in siblings ?? [])
            CopyDirectory(Path.Combine(RepoPaths.Samples, sibling), Path.Combine(_root.Path, sibling));
        var eng = Path.Combine(RepoPaths.Root, "eng");
        File.WriteAllText(Path.Combine(_root.Path, "Directory.Build.props"),
            $"<Project><Import Project=\"{eng}/OciBuildFromSource.props\" /></Project>");
        File.WriteAllText(Path.Combine(_root.Path, "Directory.Build.targets"),
            $"<Project><Import Project=\"{eng}/OciBuildFromSource.targets\" /><Import Project=\"{RepoPaths.Samples}/LocalBaseImage.targets\" /></Project>");
        CacheDirectory = cacheDirectory ?? Path.Combine(_root.Path, "cache");
        Name = sample;
    }

    public string Name { get; }

    /// <summary>The project folder.</summary>
    public string Directory { get; }

    /// <summary>The Oci.Build cache this copy uses (private unless one was given).</summary>
    public string CacheDirectory { get; }

    public string ProjectFile => Path.Combine(Directory, Name + ".csproj");

    /// <summary>The default publish output folder for Release linux-x64.</summary>
    public string OutputDirectory => Path.Combine(Directory, "bin", "Release", "net10.0", "linux-x64");

    public string LayoutPath => Path.Combine(OutputDirectory, "oci-layout");

    public string SummaryPath => Path.Combine(OutputDirectory, "oci-image.json");

    public string Combine(params string[] parts) => Path.Combine([Directory, .. parts]);

    /// <summary>A path under the folder that holds this sample and its siblings.</summary>
    public string CombineRoot(params string[] parts) => Path.Combine([_root.Path, .. parts]);

    /// <summary>
    /// Runs <c>dotnet publish NAME -c Release</c> with extra <c>-p:</c> properties from the folder above the project, as the
    /// README does from the repository root (relative paths inside the targets must not depend on the current folder).
    /// </summary>
    /// <param name="extraArguments">More dotnet publish arguments, e.g. <c>-t:PublishContainer</c>.</param>
    public ProcessResult Publish(IDictionary<string, string>? properties = null, IDictionary<string, string?>? environment = null, IEnumerable<string>? extraArguments = null)
    {
        var arguments = new List<string> { "publish", Name, "-c", "Release", "-nodeReuse:false", "-v:n", "-clp:NoSummary" };
        arguments.AddRange(extraArguments ?? []);
        foreach (var (key, value) in properties ?? new Dictionary<string, string>())
            arguments.Add($"-p:{key}={value}");
        var env = new Dictionary<string, string?>
        {
            ["OCI_BUILD_CACHE"] = CacheDirectory,
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["SOURCE_DATE_EPOCH"] = null,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>()) env[key] = value;
        return ProcessRunner.Run("dotnet", arguments, _root.Path, env, timeout: TimeSpan.FromMinutes(8));
    }

    public void Dispose() => _root.Dispose();

    private static void CopyDirectory(string source, string destination)
    {
        System.IO.Directory.CreateDirectory(destination);
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            var first = relative.Split(Path.DirectorySeparatorChar)[0];
            if (first is "bin" or "obj") continue;
            var target = Path.Combine(destination, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
