using System.CommandLine;
using System.Text.Json.Nodes;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Commands;

/// <summary>Checks every blob a layout or archive references against its digest and size; exit code 1 on any problem.</summary>
public sealed class VerifyCommand : OciCommand
{
    private readonly Argument<string> _image = new("IMAGE") { Description = "The images: oci:DIR[:TAG], oci-archive:FILE[:TAG] or a layout folder." };

    public VerifyCommand() : base("verify", "Check every referenced blob's digest and size; lists every problem, exits 1 if there is one.")
    {
        Arguments.Add(_image);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        using var source = ImageSource.Open(context.Parse.GetRequiredValue(_image));
        var result = await ImageVerifier.VerifyAsync(source.Source, source.Entries, cancellationToken);
        foreach (var problem in result.Problems)
            context.Error.WriteLine($"error {problem.Code}: {problem.Role} {problem.Digest}: {problem.Message}");
        context.Result(new JsonObject
            {
                ["path"] = source.Path,
                ["valid"] = result.IsValid,
                ["blobs"] = result.Blobs,
                ["bytes"] = result.Bytes,
                ["problems"] = new JsonArray(result.Problems.Select(p => (JsonNode)new JsonObject
                {
                    ["code"] = p.Code, ["role"] = p.Role, ["digest"] = p.Digest.ToString(), ["message"] = p.Message,
                }).ToArray()),
            },
            result.IsValid
                ? $"verified {result.Blobs} blobs ({ByteSize.Format(result.Bytes)}) in {source.Path}"
                : $"{result.Problems.Count} of {result.Blobs} blobs failed verification in {source.Path}");
        return result.IsValid ? ExitCodes.Success : ExitCodes.Failed;
    }
}
