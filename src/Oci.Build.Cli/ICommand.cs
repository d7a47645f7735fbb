using Oci.Build.Oci;

namespace Oci.Build.Cli;

/// <summary>One `dotnet oci` command: a name, its usage line, and what it does with its arguments.</summary>
public interface ICommand
{
    string Name { get; }
    string Usage { get; }
    string Summary { get; }

    /// <summary>Options that take no value (<c>--all</c>).</summary>
    IReadOnlySet<string> Flags => new HashSet<string>();

    /// <returns>The process exit code.</returns>
    int Run(Arguments arguments, IBuildLog log, TextWriter output);
}

public sealed class UsageException(string message) : Exception(message);
