using System.CommandLine;
using System.Text.Json.Nodes;
using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Oci;
using Oci.Build.Registry;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Imports a thick archive into a site registry: verifies it whole, then pushes every image (digests unchanged) and
/// writes the site's relocation-mapping.json (docs/air-gap.md). Glue only: see <see cref="ThickArchiveImporter"/>.
/// </summary>
public sealed class ImportCommand : OciCommand
{
    private readonly Argument<string> _archive = new("ARCHIVE") { Description = "The thick archive (.cnab.tar), its first part or its .parts.json." };

    private readonly Option<string> _registry = new("--registry")
    {
        Description = "The site registry, with an optional repository prefix: HOST[:PORT][/PREFIX].", HelpName = "HOST[:PORT][/PREFIX]", Required = true,
    };

    private readonly Option<string> _mapping = new("--relocation-mapping")
    {
        Description = "Where to write the site's relocation map (written once every image is in the registry).", HelpName = "FILE",
        DefaultValueFactory = _ => "relocation-mapping.json",
    };

    private readonly Option<bool> _flat = new("--flat") { Description = "One level of repository names below the prefix (every / of the original path turned into -)." };

    private readonly Option<int> _parallel = new("--parallel") { Description = "Blobs pushed at the same time (1-32).", HelpName = "N", DefaultValueFactory = _ => 4 };

    private readonly TrustOptions _trust = new();

    public ImportCommand() : base("import", "Verify a thick archive (and its signatures with --key or --policy), then push its images to a registry (a rerun resumes) and write the relocation map.")
    {
        Arguments.Add(_archive);
        Options.Add(_registry);
        Options.Add(_mapping);
        Options.Add(_flat);
        Options.Add(_parallel);
        _trust.AddTo(this);
    }

    protected override Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var parse = context.Parse;
        var parallel = parse.GetValue(_parallel);
        if (parallel is < 1 or > 32) throw new UsageException("--parallel takes a number from 1 to 32.");
        var mapping = Path.GetFullPath(parse.GetRequiredValue(_mapping));
        var settings = new RegistrySettings { CacheDirectory = CacheDirectory() };
        using var policy = _trust.Open(parse);
        ImportResult result;
        using (var progress = context.Progress("importing"))
        {
            result = new ThickArchiveImporter(settings, context.Log).Import(new ImportRequest
            {
                ArchivePath = parse.GetRequiredValue(_archive),
                Target = RelocationTarget.Parse(parse.GetRequiredValue(_registry)),
                Naming = parse.GetValue(_flat) ? RelocationNaming.Flat : RelocationNaming.Prefix,
                MappingPath = mapping,
                Parallelism = parallel,
                Progress = progress,
                Policy = policy,
            }, cancellationToken);
        }
        var relocation = result.Relocation;
        context.Result(new JsonObject
            {
                ["archive"] = result.Verification.ArchivePath,
                ["mapping"] = mapping,
                ["blobs"] = relocation.Blobs,
                ["bytesSent"] = relocation.BytesSent,
                ["mounted"] = relocation.Mounted,
                ["existed"] = relocation.Existed,
                ["images"] = new JsonArray(relocation.Images.Select(i => (JsonNode)new JsonObject { ["original"] = i.Original, ["relocated"] = i.Relocated }).ToArray()),
            },
            [.. relocation.Images.Select(i => $"{i.Original} -> {i.Relocated}"),
             $"imported {relocation.Images.Count} images ({relocation.Blobs} blobs, {ByteSize.Format(relocation.BytesSent)} sent, {relocation.Mounted} mounted, " +
             $"{relocation.Existed} already there); wrote {mapping}"]);
        return Task.FromResult(ExitCodes.Success);
    }
}
