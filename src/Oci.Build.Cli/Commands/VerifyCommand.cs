using Oci.Build.Archives;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Checks every blob a layout or archive references against its digest and size; on a thick archive also its structure,
/// checksums.sha256 and the bundle against the layout (<see cref="ThickArchiveVerifier"/>). Exit code 1 on any problem.
/// </summary>
public sealed class VerifyCommand : ICommand
{
    public string Name => "verify";
    public string Usage => "verify ARCHIVE | oci:DIR | oci-archive:FILE | DIR   (ARCHIVE: a thick archive, its first part or its .parts.json)";
    public string Summary => "Check every referenced blob's digest and size (and a thick archive's checksums and bundle); lists every problem, exits 1 if there is one.";

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        arguments.ExpectOnly(1);
        using var source = ImageSource.Open(arguments.Positional(0, "the layout or archive"));
        if (source.Source is ArchiveSource { IsThick: true } archive)
        {
            var report = ThickArchiveVerifier.Verify(archive);
            foreach (var problem in report.Problems)
                log.Info($"error {problem.Code}: {problem.Message}");
            output.WriteLine(report.IsValid
                ? $"verified {report.ArchivePath}: {report.Images} images, {report.Files} files ({ByteSize.Format(report.Bytes)}), checksums and bundle consistent"
                : $"{report.Problems.Count} problem(s) in {report.ArchivePath}");
            return report.IsValid ? 0 : 1;
        }
        var result = ImageVerifier.VerifyAsync(source.Source, source.Entries).GetAwaiter().GetResult();
        foreach (var problem in result.Problems)
            log.Info($"error {problem.Code}: {problem.Role} {problem.Digest}: {problem.Message}");
        output.WriteLine(result.IsValid
            ? $"verified {result.Blobs} blobs ({ByteSize.Format(result.Bytes)}) in {source.Path}"
            : $"{result.Problems.Count} of {result.Blobs} blobs failed verification in {source.Path}");
        return result.IsValid ? 0 : 1;
    }
}
