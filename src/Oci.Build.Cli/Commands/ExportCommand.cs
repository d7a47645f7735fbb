using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Writes a thick archive from a registry: a bundle (cnab-to-oci's form: bundle.json, the relocation map and every
/// image) or, with --image, images alone. Same deterministic format as a build's. Glue only: see <see cref="ThickArchiveWriter"/>.
/// </summary>
public sealed class ExportCommand : ICommand
{
    public string Name => "export";
    public string Usage => "export BUNDLE-REF | --image REF [--image REF ...] -o ARCHIVE [--gzip]";
    public string Summary => "Write a thick archive (bundle.json, relocation map, every image, checksums) from a registry.";
    public IReadOnlySet<string> Flags => new HashSet<string> { "--gzip" };

    public int Run(Arguments arguments, IBuildLog log, TextWriter output)
    {
        var images = arguments.All("--image");
        arguments.ExpectOnly(images.Count > 0 ? 0 : 1, "-o", "--output", "--image");
        var archive = Path.GetFullPath(arguments.Single("-o", "--output") ?? throw new UsageException("-o ARCHIVE is required."));
        var settings = new RegistrySettings { CacheDirectory = CliPaths.CacheDirectory() };
        using var registries = new RegistryImages(settings, log, pushHost: null, pullHost: null);
        ThickArchiveRequest request;
        if (images.Count > 0)
        {
            var list = new List<ArchiveImage>();
            foreach (var spec in images)
            {
                var location = ImageLocation.Parse(spec, bareRegistryReferences: true);
                if (location.Transport != ImageTransport.Registry) throw new UsageException($"--image takes a registry reference, not '{spec}'.");
                using var source = registries.OpenSource(location);
                var root = source.ResolveAsync(location.Reference, CancellationToken.None).GetAwaiter().GetResult() with { Annotations = null };
                list.Add(new ArchiveImage(location.Image!.ToString(), root, location with { Reference = root.Digest.ToString(), Image = location.Image with { Digest = root.Digest } }));
            }
            request = new ThickArchiveRequest { ArchivePath = archive, Images = list, Compress = arguments.Flag("--gzip") };
        }
        else
        {
            var input = BundleInputs.Open(arguments.Positional(0, "the bundle reference"), registries);
            request = new ThickArchiveRequest
            {
                ArchivePath = archive,
                Bundle = input.Bundle,
                Images = ThickArchiveWriter.ImagesOf(input.Bundle, input.Sources),
                Compress = arguments.Flag("--gzip"),
            };
        }
        var result = ThickArchiveWriter.Write(request, registries.OpenSource, log);
        output.WriteLine($"wrote {result.ArchivePath}: {result.Images} images, {ByteSize.Format(result.Size)}, {result.Digest}");
        return 0;
    }
}
