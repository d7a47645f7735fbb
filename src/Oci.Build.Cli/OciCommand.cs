using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Cli;

/// <summary>
/// The shape every `dotnet oci` command shares (copy it for a new one): a sealed subclass in Commands/ declares its
/// arguments and options as fields, adds them in its constructor, and implements <see cref="ExecuteAsync"/>, writing its
/// result through <see cref="CommandContext.Result"/>. Every command gets <c>--quiet</c>; commands that print a result
/// get <c>--json</c>. Errors are thrown (<see cref="OciException"/>, <see cref="UsageException"/>); <see cref="OciCli"/>
/// turns them into messages and exit codes, so no command writes its own error handling.
/// </summary>
public abstract class OciCommand : Command
{
    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "Print only results, warnings and errors: no progress, no informational lines." };
    private readonly Option<bool>? _json;

    protected OciCommand(string name, string description, bool printsResult = true) : base(name, description)
    {
        Options.Add(_quiet);
        if (printsResult)
        {
            _json = new Option<bool>("--json") { Description = "Write the result to stdout as one JSON document, for scripts." };
            Options.Add(_json);
        }
        SetAction((parse, token) => ExecuteAsync(new CommandContext(parse, parse.GetValue(_quiet), _json is not null && parse.GetValue(_json)), token));
    }

    /// <returns>The exit code (<see cref="ExitCodes"/>).</returns>
    protected abstract Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken);

    /// <summary>The cache builds use (<c>OCI_BUILD_CACHE</c>, else the XDG cache): it holds the registry delegation answers.</summary>
    protected static string CacheDirectory() =>
        Environment.GetEnvironmentVariable("OCI_BUILD_CACHE") is { Length: > 0 } cache ? cache
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "oci-build");
}

/// <summary>What a running command writes to: results on stdout, everything else (log, progress, errors) on stderr.</summary>
public sealed class CommandContext
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public CommandContext(ParseResult parse, bool quiet, bool json)
    {
        Parse = parse;
        Quiet = quiet;
        Json = json;
        Output = parse.InvocationConfiguration.Output;
        Error = parse.InvocationConfiguration.Error;
        Log = new ConsoleLog(Error, quiet);
    }

    public ParseResult Parse { get; }
    public bool Quiet { get; }

    /// <summary>The result goes out as JSON (<c>--json</c>).</summary>
    public bool Json { get; }

    public TextWriter Output { get; }
    public TextWriter Error { get; }
    public IBuildLog Log { get; }

    /// <summary>
    /// A progress display for a long operation (dispose it when done), or null with <c>--quiet</c>. A bar when stderr is
    /// the process's terminal; plain periodic lines otherwise (redirected, CI, or a test's writer).
    /// </summary>
    public ConsoleProgress? Progress(string label) =>
        Quiet ? null : new ConsoleProgress(Error, label, terminal: ReferenceEquals(Error, Console.Error) && !Console.IsErrorRedirected);

    /// <summary>Writes the result: the JSON document with <c>--json</c>, else the text lines.</summary>
    public void Result(JsonNode json, params IEnumerable<string> text)
    {
        if (Json)
        {
            Output.WriteLine(json.ToJsonString(Indented));
            return;
        }
        foreach (var line in text) Output.WriteLine(line);
    }
}
