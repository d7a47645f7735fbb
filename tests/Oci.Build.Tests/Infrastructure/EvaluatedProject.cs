using Microsoft.Build.Evaluation;
using Microsoft.Build.Execution;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>
/// A project written to a temp folder, wired to this repository's Oci.Build sources, evaluated in-process (MSBuild through
/// the Locator) and run up to one target: what `dotnet publish` would compute, without building anything.
/// </summary>
public sealed class EvaluatedProject : IDisposable
{
    // MSBuild's default BuildManager runs one build per process at a time ("a build is already in progress"), and the
    // classes that evaluate projects run in parallel: every in-process build takes its turn.
    private static readonly Lock InProcessBuild = new();

    private readonly TempDirectory _temp = new("eval");

    public EvaluatedProject(string projectBody, IDictionary<string, string>? globalProperties = null, string target = "OciComputeImageSettings")
    {
        var eng = Path.Combine(RepoPaths.Root, "eng");
        File.WriteAllText(_temp.Combine("Directory.Build.props"), $"<Project><Import Project=\"{eng}/OciBuildFromSource.props\" /></Project>");
        File.WriteAllText(_temp.Combine("Directory.Build.targets"), $"<Project><Import Project=\"{eng}/OciBuildFromSource.targets\" /></Project>");
        Directory = _temp.Combine("app");
        var projectFile = Path.Combine(Directory, "My.Service.csproj");
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(projectFile, projectBody);
        var properties = new Dictionary<string, string> { ["Configuration"] = "Release" };
        foreach (var (key, value) in globalProperties ?? new Dictionary<string, string>()) properties[key] = value;
        lock (InProcessBuild)
        {
            // MSBuild moves the process's current folder into the project's and leaves it there. Every other test of this
            // process would then start its tools in a folder this one deletes when disposed (a CLI there fails in getcwd,
            // a key provider cannot start): put it back.
            var currentDirectory = Environment.CurrentDirectory;
            try
            {
                using var collection = new ProjectCollection(properties);
                Instance = collection.LoadProject(projectFile).CreateProjectInstance();
                var logger = new Microsoft.Build.Logging.ConsoleLogger(Microsoft.Build.Framework.LoggerVerbosity.Normal, message => Log.Add(message), null, null);
                Succeeded = Instance.Build(target, [logger]);
            }
            finally
            {
                Environment.CurrentDirectory = currentDirectory;
            }
        }
    }

    public string Directory { get; }
    public ProjectInstance Instance { get; }
    public bool Succeeded { get; }
    public List<string> Log { get; } = [];
    public string Output => string.Concat(Log);

    public string Property(string name) => Instance.GetPropertyValue(name);

    public IReadOnlyList<string> Items(string type) => Instance.GetItems(type).Select(i => i.EvaluatedInclude).ToList();

    /// <summary>Label name -> value of the ContainerLabel items.</summary>
    public IReadOnlyDictionary<string, string> Labels() =>
        Instance.GetItems("ContainerLabel").GroupBy(i => i.EvaluatedInclude).ToDictionary(g => g.Key, g => g.Last().GetMetadataValue("Value"));

    public void Dispose() => _temp.Dispose();
}
