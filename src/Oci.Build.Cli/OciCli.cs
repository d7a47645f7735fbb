using System.CommandLine;
using Oci.Build.Cli.Commands;
using Oci.Build.Oci;

namespace Oci.Build.Cli;

/// <summary>
/// `dotnet oci COMMAND ...` on System.CommandLine: builds the command tree, and maps what happens to exit codes
/// (<see cref="ExitCodes"/>): a parse or usage error is 2; a coded <see cref="OciException"/> is
/// <c>error OCIxxxx: message</c> on stderr and 1; anything else is a bug, reported with the internal-error code and 70.
/// </summary>
public static class OciCli
{
    public const string Description = "dotnet oci: OCI images in layouts, archives and registries, on the receiving side of Oci.Build.";

    /// <summary>The whole command tree (also the source of docs/cli.md).</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand(Description)
        {
            new InspectCommand(),
            new VerifyCommand(),
            new DecryptCommand(),
            new CopyCommand(),
            new RelocateCommand(),
            new ImportCommand(),
            new ExportCommand(),
            new SplitCommand(),
            new ServeCommand(),
            new SbomCommand(),
        };
        return root;
    }

    private static bool CurrentDirectoryExists()
    {
        try
        {
            return Directory.Exists(Environment.CurrentDirectory);
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static int Run(string[] args, TextWriter output, TextWriter error) => RunAsync(args, output, error, handleTermination: false).GetAwaiter().GetResult();

    /// <param name="handleTermination">True for the real process: Ctrl+C cancels the command (exit 130) instead of killing it.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool handleTermination)
    {
        // `dotnet oci help [COMMAND]` reads as `dotnet oci [COMMAND] --help`, as it did before the move to System.CommandLine.
        if (args is ["help", .. var rest]) args = [.. rest, "--help"];
        var root = CreateRoot();
        var parse = root.Parse(args);
        var command = parse.CommandResult.Command;
        if (parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            foreach (var problem in parse.Errors) error.WriteLine(problem.Message);
            error.WriteLine($"usage: {CliDocs.Synopsis(command)}");
            if (command is RootCommand) error.WriteLine($"commands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}");
            error.WriteLine($"Run '{CliDocs.FullName(command)} --help' for more.");
            return ExitCodes.Usage;
        }
        // A command started in a folder that was deleted under it cannot resolve a relative path (getcwd fails): say so,
        // with a code, instead of failing deep inside a command with an uncoded FileNotFoundException.
        if (!CurrentDirectoryExists())
        {
            error.WriteLine($"error {ErrorCodes.WorkingDirectoryGone}: The current folder no longer exists (it was deleted or moved). cd to an existing folder and run the command again.");
            return ExitCodes.Failed;
        }
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = handleTermination ? TimeSpan.FromSeconds(5) : null,
        };
        try
        {
            return await parse.InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            error.WriteLine(ex.Message);
            error.WriteLine($"usage: {CliDocs.Synopsis(command)}");
            return ExitCodes.Usage;
        }
        catch (OciException ex)
        {
            error.WriteLine($"error {ex.Code}: {ex.Message}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine($"{CliDocs.FullName(command)}: interrupted.");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Input from another site must never produce a stack trace; an exception that reaches here is a bug of
            // ours, reported with its own code (the hostile-input tests treat it as a crash) and exit code 70.
            error.WriteLine($"error {ErrorCodes.InternalError}: {CliDocs.FullName(command)} failed unexpectedly ({ex.GetType().Name}: {ex.Message}). " +
                            "This is a bug in Oci.Build; please report it with the input that caused it.");
            return ExitCodes.InternalError;
        }
    }
}
