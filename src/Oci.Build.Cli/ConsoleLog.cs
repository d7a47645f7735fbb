using Oci.Build.Oci;

namespace Oci.Build.Cli;

/// <summary>Engine progress on stderr, so stdout carries only a command's result (JSON for inspect).</summary>
public sealed class ConsoleLog(TextWriter output, TextWriter error) : IBuildLog
{
    public void Info(string message) => error.WriteLine(message);
    public void Detail(string message) { }
    public void Warning(string code, string message) => error.WriteLine($"warning {code}: {message}");

    /// <summary>Where results go.</summary>
    public TextWriter Output => output;
}
