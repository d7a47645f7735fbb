using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Commands;

/// <summary>Checks every blob a layout or archive references against its digest and size; exit code 1 on any problem.</summary>
public sealed class VerifyCommand : ICommand
{
    public string Name => "verify";
    public string Usage => "verify oci:DIR | oci-archive:FILE | DIR";
    public string Summary => "Check every referenced blob's digest and size; lists every problem, exits 1 if there is one.";

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        arguments.ExpectOnly(1);
        using var source = ImageSource.Open(arguments.Positional(0, "the layout or archive"));
        var result = ImageVerifier.VerifyAsync(source.Source, source.Entries).GetAwaiter().GetResult();
        foreach (var problem in result.Problems)
            log.Info($"error {problem.Code}: {problem.Role} {problem.Digest}: {problem.Message}");
        output.WriteLine(result.IsValid
            ? $"verified {result.Blobs} blobs ({ByteSize.Format(result.Bytes)}) in {source.Path}"
            : $"{result.Problems.Count} of {result.Blobs} blobs failed verification in {source.Path}");
        return result.IsValid ? 0 : 1;
    }
}
