using Oci.Build.Cli.Commands;
using Oci.Build.Oci;

namespace Oci.Build.Cli;

/// <summary>
/// `dotnet oci COMMAND ...`: dispatches to one command, turns a coded <see cref="OciException"/> into
/// <c>error OCIxxxx: message</c> on stderr and exit code 1; usage errors exit with 2.
/// </summary>
public static class OciCli
{
    private static readonly IReadOnlyList<ICommand> Commands = [new InspectCommand(), new VerifyCommand(), new DecryptCommand(), new CopyCommand(), new RelocateCommand(), new ImportCommand(), new ExportCommand(), new SplitCommand()];

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Usage(output);
            return args.Length == 0 ? 2 : 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            error.WriteLine($"Unknown command '{args[0]}'.");
            Usage(error);
            return 2;
        }
        try
        {
            return command.Run(new Arguments(args[1..], command.Flags), new ConsoleLog(output, error), output);
        }
        catch (UsageException ex)
        {
            error.WriteLine($"{ex.Message}\nusage: dotnet oci {command.Usage}");
            return 2;
        }
        catch (OciException ex)
        {
            error.WriteLine($"error {ex.Code}: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Input from another site must never produce a stack trace; an exception that reaches here is a bug of
            // ours, reported with its own code (the hostile-input tests treat it as a crash) and exit code 70.
            error.WriteLine($"error {ErrorCodes.InternalError}: dotnet oci {command.Name} failed unexpectedly ({ex.GetType().Name}: {ex.Message}). " +
                            "This is a bug in Oci.Build; please report it with the input that caused it.");
            return 70;
        }
    }

    private static void Usage(TextWriter writer)
    {
        writer.WriteLine("dotnet oci: OCI images in layouts, archives and registries, on the receiving side of Oci.Build.");
        writer.WriteLine();
        foreach (var command in Commands)
            writer.WriteLine($"  dotnet oci {command.Usage}\n      {command.Summary}");
    }
}
