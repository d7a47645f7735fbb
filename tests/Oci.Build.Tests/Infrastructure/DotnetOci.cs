using Oci.Build.Cli;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>Runs `dotnet oci` in-process and captures what it writes.</summary>
public static class DotnetOci
{
    public static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = OciCli.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
