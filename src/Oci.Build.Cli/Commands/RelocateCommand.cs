using Oci.Build.Bundles;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Copies every image of a bundle into another registry keeping every digest and writes relocation-mapping.json
/// (docs/bundles.md). Glue only: see <see cref="BundleRelocator"/>.
/// </summary>
public sealed class RelocateCommand : ICommand
{
    public string Name => "relocate";
    public string Usage => "relocate BUNDLE-REF|bundle.json|DIR --registry HOST[:PORT][/PREFIX] [-o relocation-mapping.json] [--flat]";
    public string Summary => "Copy every image of a CNAB bundle to another registry, digests unchanged; write the relocation map.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "--flat" };

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        arguments.ExpectOnly(1, "--registry", "-o", "--output");
        var spec = arguments.Positional(0, "the bundle (a registry reference, bundle.json or a folder)");
        var target = RelocationTarget.Parse(arguments.Single("--registry") ?? throw new UsageException("--registry HOST[/PREFIX] is required."));
        var mapping = Path.GetFullPath(arguments.Single("-o", "--output") ?? "relocation-mapping.json");
        var settings = new RegistrySettings { CacheDirectory = CacheDirectory() };
        RelocationResult result;
        using (var registries = new RegistryImages(settings, log, pushHost: null, pullHost: null))
        {
            var input = BundleInputs.Open(spec, registries);
            result = new BundleRelocator(settings, log).Relocate(new RelocationRequest
            {
                Bundle = input.Bundle,
                Target = target,
                Naming = arguments.Flag("--flat") ? RelocationNaming.Flat : RelocationNaming.Prefix,
                Sources = input.Sources,
                MappingPath = mapping,
            });
        }
        foreach (var image in result.Images) output.WriteLine($"{image.Original} -> {image.Relocated}");
        output.WriteLine($"wrote {mapping}");
        return 0;
    }

    /// <summary>The cache builds use (<c>OCI_BUILD_CACHE</c>, else the XDG cache): it holds the delegation answers.</summary>
    private static string CacheDirectory() =>
        Environment.GetEnvironmentVariable("OCI_BUILD_CACHE") is { Length: > 0 } cache ? cache
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "oci-build");
}
