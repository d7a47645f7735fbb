using Oci.Build.Oci;

namespace Oci.Build.Cli;

/// <summary>
/// Engine messages on stderr, so stdout carries only a command's result (text or JSON). <c>--quiet</c> silences the
/// informational lines; warnings stay, since each one asks for an action.
/// </summary>
public sealed class ConsoleLog(TextWriter error, bool quiet) : IBuildLog
{
    public void Info(string message)
    {
        if (!quiet) error.WriteLine(message);
    }

    public void Detail(string message) { }

    public void Warning(string code, string message) => error.WriteLine($"warning {code}: {message}");
}
