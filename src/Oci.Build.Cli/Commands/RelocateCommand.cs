using System.CommandLine;
using System.Text.Json.Nodes;
using Oci.Build.Bundles;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Copies every image of a bundle into another registry keeping every digest and writes relocation-mapping.json
/// (docs/bundles.md). Glue only: see <see cref="BundleRelocator"/>.
/// </summary>
public sealed class RelocateCommand : OciCommand
{
    private readonly Argument<string> _bundle = new("BUNDLE") { Description = "The bundle: a registry reference (BUNDLE-REF), a bundle.json, or a folder holding one." };

    private readonly Option<string> _registry = new("--registry")
    {
        Description = "The target registry, with an optional repository prefix: HOST[:PORT][/PREFIX].", HelpName = "HOST[:PORT][/PREFIX]", Required = true,
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Where to write the relocation map.", HelpName = "FILE", DefaultValueFactory = _ => "relocation-mapping.json",
    };

    private readonly Option<bool> _flat = new("--flat") { Description = "One level of repository names: PREFIX/ORIGINAL-PATH with every / of the original path turned into - (for registries without nested names)." };

    public RelocateCommand() : base("relocate", "Copy every image of a CNAB bundle to another registry, digests unchanged; write the relocation map.")
    {
        Arguments.Add(_bundle);
        Options.Add(_registry);
        Options.Add(_output);
        Options.Add(_flat);
    }

    protected override Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var parse = context.Parse;
        var target = RelocationTarget.Parse(parse.GetRequiredValue(_registry));
        var mapping = Path.GetFullPath(parse.GetRequiredValue(_output));
        var settings = new RegistrySettings { CacheDirectory = CacheDirectory() };
        RelocationResult result;
        using (var registries = new RegistryImages(settings, context.Log, pushHost: null, pullHost: null))
        {
            var input = BundleInputs.Open(parse.GetRequiredValue(_bundle), registries);
            result = new BundleRelocator(settings, context.Log).Relocate(new RelocationRequest
            {
                Bundle = input.Bundle,
                Target = target,
                Naming = parse.GetValue(_flat) ? RelocationNaming.Flat : RelocationNaming.Prefix,
                Sources = input.Sources,
                MappingPath = mapping,
            });
        }
        context.Result(new JsonObject
            {
                ["mapping"] = mapping,
                ["images"] = new JsonArray(result.Images.Select(i => (JsonNode)new JsonObject { ["original"] = i.Original.ToString(), ["relocated"] = i.Relocated.ToString() }).ToArray()),
            },
            [.. result.Images.Select(i => $"{i.Original} -> {i.Relocated}"), $"wrote {mapping}"]);
        return Task.FromResult(ExitCodes.Success);
    }
}
