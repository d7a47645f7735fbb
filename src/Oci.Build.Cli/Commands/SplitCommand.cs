using System.CommandLine;
using System.Text.Json.Nodes;
using Oci.Build.Archives;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Commands;

/// <summary>Splits an archive into numbered parts for removable media, with a description that lets every reader check them.</summary>
public sealed class SplitCommand : OciCommand
{
    private readonly Argument<string> _archive = new("ARCHIVE") { Description = "The archive to split (any file: a thick archive, an OCI archive)." };

    private readonly Option<string> _size = new("--size")
    {
        Description = "The largest part: bytes, or a number with K, M, G or T (powers of 1024): 700M, 4.7G.", HelpName = "SIZE", Required = true,
    };

    private readonly Option<string?> _output = new("--output", "-o") { Description = "The folder for the parts (default: beside the archive).", HelpName = "DIR" };

    public SplitCommand() : base("split", "Split an archive into parts of at most SIZE (NAME.part001, ...) plus NAME.parts.json (count, sizes, sha256s).")
    {
        Arguments.Add(_archive);
        Options.Add(_size);
        Options.Add(_output);
    }

    protected override Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var parse = context.Parse;
        var size = ArchiveParts.ParseSize(parse.GetRequiredValue(_size));
        var description = ArchiveParts.Split(parse.GetRequiredValue(_archive), size, parse.GetValue(_output));
        var parts = ArchiveParts.ReadDescription(description);
        context.Result(new JsonObject
            {
                ["description"] = description,
                ["count"] = parts.Count,
                ["sha256"] = parts.Sha256,
                ["parts"] = new JsonArray(parts.Parts.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["size"] = p.Size, ["sha256"] = p.Sha256 }).ToArray()),
            },
            $"wrote {parts.Count} parts of at most {ByteSize.Format(size)} and {description}");
        return Task.FromResult(ExitCodes.Success);
    }
}
