namespace Oci.Build.Cli;

/// <summary>The exit codes of every `dotnet oci` command (docs/cli.md lists them from here).</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A coded error (<c>error OCIxxxx: ...</c> on stderr), or a check that found problems (verify).</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: unknown command or option, missing argument, a value that makes no sense.</summary>
    public const int Usage = 2;

    /// <summary>A bug of ours (an exception no check anticipated), reported with the internal-error code; never the answer to bad input.</summary>
    public const int InternalError = 70;

    /// <summary>Interrupted (Ctrl+C, SIGTERM) before it finished.</summary>
    public const int Cancelled = 130;

    public static readonly IReadOnlyList<(int Code, string Meaning)> All =
    [
        (Success, "Success."),
        (Failed, "A coded error (`error OCIxxxx: message` on stderr; see [errors.md](errors.md)), or a check that found problems (`verify`)."),
        (Usage, "The command line is wrong: unknown command or option, missing argument, or a value that makes no sense."),
        (InternalError, "A bug in Oci.Build (`error OCI5020`, no stack trace): please report it with the input that caused it."),
        (Cancelled, "Interrupted (Ctrl+C) before it finished."),
    ];
}
