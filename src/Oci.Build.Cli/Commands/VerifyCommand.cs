using System.CommandLine;
using System.Text.Json.Nodes;
using Oci.Build.Archives;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// Checks every blob a layout or archive references against its digest and size; on a thick archive also its structure,
/// checksums.sha256 and the bundle against the layout (<see cref="ThickArchiveVerifier"/>). Exit code 1 on any problem.
/// </summary>
public sealed class VerifyCommand : OciCommand
{
    private readonly Argument<string> _image = new("IMAGE")
    {
        Description = "The images: oci:DIR[:TAG], oci-archive:FILE[:TAG], a layout folder, an archive file (a thick archive, its first part or its .parts.json), or docker://HOST/REPO[:TAG|@DIGEST].",
    };

    private readonly TrustOptions _trust = new();

    public VerifyCommand() : base("verify", "Check every referenced blob's digest and size (and a thick archive's checksums and bundle); with --key or --policy also the signatures of a thick archive or of a registry image and its SBOM; lists every problem, exits 1 if there is one.")
    {
        Arguments.Add(_image);
        _trust.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        using var policy = _trust.Open(context.Parse);
        var spec = context.Parse.GetRequiredValue(_image);
        if (spec.StartsWith(ImageLocation.RegistryPrefix, StringComparison.Ordinal))
            return await VerifyRegistryAsync(context, ImageLocation.Parse(spec, Environment.CurrentDirectory), policy, cancellationToken);
        using var source = ImageSource.Open(spec);
        if (source.Source is ArchiveSource { IsThick: true } archive)
            return VerifyThick(context, archive, policy, cancellationToken);
        if (policy is not null)
            throw new UsageException("--key and --policy check thick archives and images in a registry (docker://HOST/REPO:TAG); for a layout, push it or archive it first (docs/trust.md).");
        Verification result;
        using (var progress = context.Progress("verifying"))
            result = await ImageVerifier.VerifyAsync(source.Source, source.Entries, cancellationToken, progress);
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
                    ["code"] = p.Code, ["role"] = p.Role, ["digest"] = p.Digest?.ToString(), ["message"] = p.Message,
                }).ToArray()),
            },
            result.IsValid
                ? $"verified {result.Blobs} blobs ({ByteSize.Format(result.Bytes)}) in {source.Path}"
                : $"{result.Problems.Count} of {result.Blobs} blobs failed verification in {source.Path}");
        return result.IsValid ? ExitCodes.Success : ExitCodes.Failed;
    }

    /// <summary>
    /// An image in a registry: with --key/--policy its cosign signature and its SBOM referrer's (for an index also every
    /// platform manifest's SBOM, <see cref="Signing.ImageTrust"/>), verified offline with the key (nothing but the
    /// registry is asked), then every blob against its digest. Signatures first: a refused
    /// image is reported before its layers are downloaded.
    /// </summary>
    private async Task<int> VerifyRegistryAsync(CommandContext context, ImageLocation location, Signing.SignaturePolicy? policy, CancellationToken cancellationToken)
    {
        var reference = location.Image!;
        using var registries = new RegistryImages(new RegistrySettings { CacheDirectory = CacheDirectory() }, context.Log, null, RegistryEndpoint.ApiHost(reference.Registry));
        using var source = registries.OpenSource(location);
        var root = await source.ResolveAsync(reference.ManifestReference, cancellationToken) with { Annotations = null };
        var problems = new List<(string Code, string Message)>();
        var signatures = new JsonArray();
        if (policy is not null)
        {
            var trust = await Signing.ImageTrust.CheckAsync(policy, source, root, reference, cancellationToken);
            foreach (var (role, digest) in trust.Checked)
            {
                var problem = trust.Problems.FirstOrDefault(p => p.Digest == digest);
                signatures.Add((JsonNode)new JsonObject { ["role"] = role, ["digest"] = digest.ToString(), ["verified"] = problem is null, ["code"] = problem?.Code });
            }
            problems.AddRange(trust.Problems.Select(p => (p.Code, p.Message)));
        }
        Verification blobs;
        using (var progress = context.Progress("verifying"))
            blobs = await ImageVerifier.VerifyAsync(source, [root], cancellationToken, progress);
        problems.AddRange(blobs.Problems.Select(p => (p.Code, $"{p.Role} {p.Digest}: {p.Message}")));
        foreach (var (code, message) in problems)
            context.Error.WriteLine($"error {code}: {message}");
        var valid = problems.Count == 0;
        context.Result(new JsonObject
            {
                ["image"] = reference.ToString(),
                ["digest"] = root.Digest.ToString(),
                ["valid"] = valid,
                ["signatures"] = policy is null ? null : signatures,
                ["blobs"] = blobs.Blobs,
                ["bytes"] = blobs.Bytes,
                ["problems"] = new JsonArray(problems.Select(p => (JsonNode)new JsonObject { ["code"] = p.Code, ["message"] = p.Message }).ToArray()),
            },
            valid
                ? $"verified {reference} ({root.Digest}): {blobs.Blobs} blobs ({ByteSize.Format(blobs.Bytes)})" +
                    (policy is null ? "" : $", signatures of {Enumerate(signatures.Select(s => s!["role"]!.GetValue<string>()).ToList())} verified with {policy.Description}")
                : $"{problems.Count} problem(s) in {reference}");
        return valid ? ExitCodes.Success : ExitCodes.Failed;
    }

    /// <summary>"a", "a and b", "a, b and c": what was checked, readable however many platforms an index has.</summary>
    private static string Enumerate(IReadOnlyList<string> items) =>
        items.Count <= 1 ? string.Join("", items) : $"{string.Join(", ", items.Take(items.Count - 1))} and {items[^1]}";

    private static int VerifyThick(CommandContext context, ArchiveSource archive, Signing.SignaturePolicy? policy, CancellationToken cancellationToken)
    {
        var report = ThickArchiveVerifier.Verify(archive, policy, null, cancellationToken);
        foreach (var problem in report.Problems)
            context.Error.WriteLine($"error {problem.Code}: {problem.Message}");
        context.Result(new JsonObject
            {
                ["path"] = report.ArchivePath,
                ["valid"] = report.IsValid,
                ["thick"] = true,
                ["signatures"] = policy is not null,
                ["bundle"] = report.Bundle is { } bundle ? $"{bundle.Name} {bundle.Version}" : null,
                ["images"] = report.Images,
                ["files"] = report.Files,
                ["bytes"] = report.Bytes,
                ["problems"] = new JsonArray(report.Problems.Select(p => (JsonNode)new JsonObject { ["code"] = p.Code, ["message"] = p.Message }).ToArray()),
                ["delta"] = report.Delta is { } delta ? new JsonObject
                {
                    ["baseline"] = delta.Baseline.Archive,
                    ["baselineSha256"] = delta.Baseline.Sha256,
                    ["expectedBytes"] = delta.ExpectedBytes,
                    ["expected"] = new JsonArray(delta.Expected.Select(e => (JsonNode)new JsonObject
                    {
                        ["digest"] = e.Digest, ["size"] = e.Size, ["mediaType"] = e.MediaType,
                        ["repositories"] = new JsonArray(e.Repositories.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
                    }).ToArray()),
                } : null,
            },
            Lines(report, policy?.Description));
        return report.IsValid ? ExitCodes.Success : ExitCodes.Failed;
    }

    /// <summary>The summary, and for a delta what the site must already have (what import checks before pushing).</summary>
    private static List<string> Lines(ArchiveVerification report, string? signaturesVerifiedWith)
    {
        var lines = new List<string>
        {
            report.IsValid
                ? $"verified {report.ArchivePath}: {report.Images} images, {report.Files} files ({ByteSize.Format(report.Bytes)}), checksums and bundle consistent" +
                    (signaturesVerifiedWith is null ? "" : $", signatures verified with {signaturesVerifiedWith}")
                : $"{report.Problems.Count} problem(s) in {report.ArchivePath}",
        };
        if (report.Delta is { } delta)
        {
            lines.Add($"a delta of {(delta.Baseline.Archive.Length > 0 ? delta.Baseline.Archive : "a checksums.sha256")}: the site must already have {delta.Expected.Count} blobs ({ByteSize.Format(delta.ExpectedBytes)}):");
            lines.AddRange(delta.Expected.Select(e => $"  needs {e.Digest} ({ByteSize.Format(e.Size)}) in {string.Join(", ", e.Repositories)}"));
        }
        return lines;
    }
}
