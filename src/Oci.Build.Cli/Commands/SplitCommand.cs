using Oci.Build.Archives;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Commands;

/// <summary>Splits an archive into numbered parts for removable media, with a description that lets every reader check them.</summary>
public sealed class SplitCommand : ICommand
{
    public string Name => "split";
    public string Usage => "split ARCHIVE --size SIZE [-o DIR]   (SIZE: bytes, or 700M, 4.7G, ...)";
    public string Summary => "Split an archive into parts of at most SIZE (NAME.part001, ...) plus NAME.parts.json (sizes and sha256s).";

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        arguments.ExpectOnly(1, "--size", "-o", "--output");
        var archive = arguments.Positional(0, "the archive");
        var size = ArchiveParts.ParseSize(arguments.Single("--size") ?? throw new UsageException("--size SIZE is required (bytes, or 700M, 4.7G)."));
        var description = ArchiveParts.Split(archive, size, arguments.Single("-o", "--output"));
        output.WriteLine($"wrote {description} ({ByteSize.Format(size)} parts)");
        return 0;
    }
}
