using System.CommandLine;
using System.Text.Json.Nodes;
using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;
using Oci.Build.Signing;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Writes a thick archive from a registry: a bundle (cnab-to-oci's form: bundle.json, the relocation map and every
/// image) or, with --image, images alone. Same deterministic format as a build's. Glue only: see <see cref="ThickArchiveWriter"/>.
/// </summary>
public sealed class ExportCommand : OciCommand
{
    private readonly Argument<string?> _bundle = new("BUNDLE-REF") { Description = "A bundle in a registry (HOST/REPO:TAG, as cnab-to-oci pushes it).", Arity = ArgumentArity.ZeroOrOne };

    private readonly Option<string[]> _images = new("--image") { Description = "Instead of a bundle: an image reference to carry (repeatable).", HelpName = "REF" };

    private readonly Option<string> _output = new("--output", "-o") { Description = "The archive to write.", HelpName = "ARCHIVE", Required = true };

    private readonly Option<bool> _gzip = new("--gzip") { Description = "Gzip the outer tar (fixed settings, still deterministic); the layers are compressed already." };

    private readonly Option<string> _signingKey = new("--signing-key")
    {
        Description = "Sign checksums.sha256 and every image without a signature (a PEM EC P-256 private key, or provider:NAME), as ContainerSigningKey does at build.",
        HelpName = "KEY",
    };

    private readonly Option<string?> _baseline = new("--baseline")
    {
        Description = "Write a delta: leave out the layers this previous archive (or its .index.json or checksums.sha256) already carried to the site.",
        HelpName = "PREVIOUS",
    };

    public ExportCommand() : base("export", "Write a thick archive (bundle.json, relocation map, every image, checksums) from a registry, or a delta against a previous one.")
    {
        Arguments.Add(_bundle);
        Options.Add(_images);
        Options.Add(_output);
        Options.Add(_gzip);
        Options.Add(_signingKey);
        Options.Add(_baseline);
    }

    protected override Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var parse = context.Parse;
        var images = parse.GetValue(_images) ?? [];
        var bundleRef = parse.GetValue(_bundle);
        if ((bundleRef is null) == (images.Length == 0)) throw new UsageException("Name either a bundle (BUNDLE-REF) or images (--image REF ...).");
        var archive = Path.GetFullPath(parse.GetRequiredValue(_output));
        var baseline = parse.GetValue(_baseline) is { } previous ? ArchiveBaseline.Load(previous, cancellationToken) : null;
        var settings = new RegistrySettings { CacheDirectory = CacheDirectory() };
        using var registries = new RegistryImages(settings, context.Log, pushHost: null, pullHost: null);
        using var signer = parse.GetValue(_signingKey) is { } key ? SigningKeys.Open(key, Environment.CurrentDirectory) : null;
        ThickArchiveRequest request;
        if (bundleRef is null)
        {
            var list = new List<ArchiveImage>();
            foreach (var spec in images)
            {
                var location = ImageLocation.Parse(spec, bareRegistryReferences: true);
                if (location.Transport != ImageTransport.Registry) throw new UsageException($"--image takes a registry reference, not '{spec}'.");
                using var source = registries.OpenSource(location);
                var root = source.ResolveAsync(location.Reference, cancellationToken).GetAwaiter().GetResult() with { Annotations = null };
                list.Add(new ArchiveImage(location.Image!.ToString(), root, location with { Reference = root.Digest.ToString(), Image = location.Image with { Digest = root.Digest } }));
            }
            request = new ThickArchiveRequest { ArchivePath = archive, Images = list, Compress = parse.GetValue(_gzip), Baseline = baseline };
        }
        else
        {
            var input = BundleInputs.Open(bundleRef, registries, cancellationToken);
            request = new ThickArchiveRequest
            {
                ArchivePath = archive,
                Bundle = input.Bundle,
                Images = ThickArchiveWriter.ImagesOf(input.Bundle, input.Sources),
                Compress = parse.GetValue(_gzip),
                Baseline = baseline,
            };
        }
        var result = ThickArchiveWriter.Write(request with { Signer = signer }, registries.OpenSource, context.Log, cancellationToken);
        context.Result(new JsonObject
            {
                ["archive"] = result.ArchivePath,
                ["digest"] = result.Digest.ToString(),
                ["size"] = result.Size,
                ["images"] = result.Images,
                ["index"] = result.IndexPath,
                ["expectedBlobs"] = result.Delta?.Expected.Count,
                ["expectedBytes"] = result.Delta?.ExpectedBytes,
            },
            $"wrote {result.ArchivePath}: {result.Images} images, {ByteSize.Format(result.Size)}, {result.Digest}" +
            (result.Delta is { } delta ? $"; a delta expecting {delta.Expected.Count} blobs ({ByteSize.Format(delta.ExpectedBytes)}) at the site" : ""));
        return Task.FromResult(ExitCodes.Success);
    }
}
