namespace Oci.Build.Oci;

/// <summary>
/// An error the user can act on. <see cref="Code"/> is stable (see <see cref="ErrorCodes"/>) and the message says what to do.
/// The MSBuild adapters log it as an error with that code; the CLI prints it and exits non-zero.
/// </summary>
public class OciException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;

    public override string ToString() => $"{Code}: {Message}";
}
