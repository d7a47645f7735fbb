using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Oci;
using Oci.Build.Registry;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Imports a thick archive into a site registry: verifies it whole, then pushes every image (digests unchanged) and
/// writes the site's relocation-mapping.json (docs/air-gap.md). Glue only: see <see cref="ThickArchiveImporter"/>.
/// </summary>
public sealed class ImportCommand : ICommand
{
    public string Name => "import";
    public string Usage => "import ARCHIVE --registry HOST[:PORT][/PREFIX] [--relocation-mapping FILE] [--flat] [--parallel N]";
    public string Summary => "Verify a thick archive, then push its images to a registry (resumable) and write the relocation map.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "--flat" };

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        arguments.ExpectOnly(1, "--registry", "--relocation-mapping", "--parallel");
        var archive = arguments.Positional(0, "the archive (a .cnab.tar, its first part or its .parts.json)");
        var target = RelocationTarget.Parse(arguments.Single("--registry") ?? throw new UsageException("--registry HOST[:PORT][/PREFIX] is required."));
        var mapping = Path.GetFullPath(arguments.Single("--relocation-mapping") ?? "relocation-mapping.json");
        var parallel = arguments.Single("--parallel") is { } text
            ? int.TryParse(text, out var n) && n is >= 1 and <= 32 ? n : throw new UsageException("--parallel takes a number from 1 to 32.")
            : 4;
        var settings = new RegistrySettings { CacheDirectory = CliPaths.CacheDirectory() };
        var result = new ThickArchiveImporter(settings, log).Import(new ImportRequest
        {
            ArchivePath = archive,
            Target = target,
            Naming = arguments.Flag("--flat") ? RelocationNaming.Flat : RelocationNaming.Prefix,
            MappingPath = mapping,
            Parallelism = parallel,
        });
        foreach (var image in result.Relocation.Images) output.WriteLine($"{image.Original} -> {image.Relocated}");
        output.WriteLine($"imported {result.Relocation.Images.Count} images ({result.Relocation.Blobs} blobs, {ByteSize.Format(result.Relocation.BytesSent)} sent, " +
                         $"{result.Relocation.Existed} already there); wrote {mapping}");
        return 0;
    }
}
