using System.Diagnostics;
using System.Text;
using Oci.Build.Images;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Oci.Build.Tests.Hardening;

/// <summary>
/// Runs `dotnet oci inspect|verify|decrypt` (out of process, with a time limit and a 256 MB GC heap limit) and the
/// publish path's base image resolution over every case of the <see cref="HostileCorpus"/>, asserting: the expected
/// coded error (or success for the valid cases), no stack trace, no hang, nothing written outside the output, the
/// inputs and the previous output intact.
/// </summary>
public sealed class HostileCorpusTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private sealed record Outcome(string Result, string Detail);

    private static Outcome RunCli(string scratchTemp, params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Oci.Build.Cli.dll");
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_GCHeapHardLimit"] = "0x10000000", // 256 MB: a runaway allocation fails instead of eating the machine
            ["TMPDIR"] = scratchTemp,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        ProcessResult result;
        try
        {
            result = ProcessRunner.Run("dotnet", new[] { cli }.Concat(args), environment: environment, timeout: Limit);
        }
        catch (TimeoutException)
        {
            return new Outcome("HANG", $"no answer within {Limit.TotalSeconds} s");
        }
        var text = result.StandardOutput + result.StandardError;
        if (text.Contains("   at ", StringComparison.Ordinal) || text.Contains("Unhandled exception", StringComparison.Ordinal)
            || text.Contains(ErrorCodes.InternalError, StringComparison.Ordinal) || result.ExitCode is not (0 or 1))
            return new Outcome("CRASH", $"exit {result.ExitCode}: {Short(text)}");
        if (result.ExitCode == 0) return new Outcome("0", Short(result.StandardOutput));
        var marker = result.StandardError.IndexOf("error OCI", StringComparison.Ordinal);
        return marker < 0 ? new Outcome("UNCODED", Short(text)) : new Outcome(result.StandardError.Substring(marker + 6, 7), Short(result.StandardError));
    }

    private static Outcome ResolveAsBase(string target, string scratch)
    {
        var task = Task.Run(() =>
        {
            try
            {
                var spec = target + ":v1";
                IBaseImageProvider provider = target.StartsWith("oci-archive:", StringComparison.Ordinal)
                    ? new ArchiveBaseImageProvider("/")
                    : new LayoutBaseImageProvider("/");
                using var image = provider.Resolve(spec, Platform.FromRuntimeIdentifier("linux-x64"));
                return new Outcome("0", image.Name ?? "");
            }
            catch (OciException ex)
            {
                return new Outcome(ex.Code, Short(ex.Message));
            }
            catch (Exception ex)
            {
                return new Outcome("CRASH", $"{ex.GetType().Name}: {Short(ex.Message)}");
            }
        });
        return task.Wait(Limit) ? task.Result : new Outcome("HANG", "base image resolution did not finish");
    }

    private static string Short(string text) => text.Length <= 300 ? text.Trim() : text[..300].Trim() + "...";

    /// <summary>Every file under <paramref name="root"/> with its size and content hash (symlinks by target, FIFOs by name).</summary>
    private static string Snapshot(string root)
    {
        if (!Directory.Exists(root)) return "(absent)";
        var lines = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is { } link) lines.Add($"{path} -> {link}");
            else if (Directory.Exists(path)) lines.Add(path + "/");
            else if (path.Contains("fifo", StringComparison.Ordinal) && info.Length == 0) lines.Add(path + " (special)");
            else lines.Add($"{path} {info.Length} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))}");
        }
        return string.Join("\n", lines);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    [Fact]
    public void Every_hostile_input_is_refused_with_its_code_and_every_valid_one_accepted_without_crash_hang_or_damage()
    {
        var corpus = new HostileCorpus();
        using var _ = corpus;
        var work = corpus.Combine("work");
        var baseline = Path.Combine(work, "baseline");
        Directory.CreateDirectory(Path.Combine(work, "tmp"));
        var first = RunCli(Path.Combine(work, "tmp"), "decrypt", "oci:" + corpus.Encrypted, "-o", baseline, "--key", corpus.Key);
        Assert.True(first.Result == "0", $"the previous output could not be made: {first.Result} {first.Detail}");
        var inputs = Snapshot(corpus.Combine("cases"));

        // Cases run side by side (each in its own folder, with its own copy of the previous output): a run is mostly
        // a process starting, so four at a time finish much sooner on the same cores.
        var reports = new string[corpus.Cases.Count];
        int tried = 0, refused = 0, accepted = 0, failures = 0;
        Parallel.For(0, corpus.Cases.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var c = corpus.Cases[i];
            var caseWork = Path.Combine(work, $"case-{i}");
            var tmp = Path.Combine(caseWork, "tmp");
            Directory.CreateDirectory(tmp);
            var outputParent = Path.Combine(caseWork, "out");
            var previous = Path.Combine(outputParent, "previous");
            CopyDirectory(baseline, previous);
            var report = new StringBuilder();
            var runs = new (string Command, string Expected, Func<Outcome> Run)[]
            {
                ("inspect", c.Inspect, () => RunCli(tmp, "inspect", c.Target)),
                ("verify", c.Verify, () => RunCli(tmp, "verify", c.Target)),
                ("decrypt", c.Decrypt, () => RunCli(tmp, "decrypt", c.Target, "-o", previous, "--key", corpus.Key)),
                // The publish path: the input as a base image (valid ones resolve, the rest are coded errors).
                // Valid inputs resolve; any other one resolves (blobs are verified later, when read) or is a coded error.
                ("base image", c.Name.StartsWith("valid", StringComparison.Ordinal) ? HostileCorpus.Ok : "clean",
                    () => ResolveAsBase(c.Target, Path.Combine(caseWork, "base-scratch"))),
            };
            foreach (var (command, expected, run) in runs)
            {
                Interlocked.Increment(ref tried);
                var before = Snapshot(previous);
                var watch = Stopwatch.StartNew();
                var outcome = run();
                var ok = expected == "clean"
                    ? outcome.Result.StartsWith("OCI", StringComparison.Ordinal) || outcome.Result == "0"
                    : outcome.Result == expected;
                // A failed decrypt leaves the previous output as it was; nothing is left beside it or in TMPDIR.
                if (command == "decrypt" && outcome.Result != "0" && Snapshot(previous) != before)
                    (ok, outcome) = (false, outcome with { Detail = "the previous output was changed: " + outcome.Detail });
                // The one thing allowed to stay in TMPDIR: the folder of empty lock files (IO/OutputLock), never scratch.
                var strays = Directory.EnumerateFileSystemEntries(outputParent).Where(p => p != previous)
                    .Concat(Directory.EnumerateFileSystemEntries(tmp).Where(p => !Path.GetFileName(p).StartsWith("oci-build-locks-", StringComparison.Ordinal)))
                    .ToList();
                if (strays.Count > 0)
                {
                    (ok, outcome) = (false, outcome with { Detail = $"left behind: {string.Join(", ", strays)}; " + outcome.Detail });
                    foreach (var stray in strays) { if (Directory.Exists(stray)) Directory.Delete(stray, true); else File.Delete(stray); }
                }
                if (!ok) Interlocked.Increment(ref failures);
                else if (outcome.Result == "0") Interlocked.Increment(ref accepted);
                else Interlocked.Increment(ref refused);
                report.AppendLine($"{(ok ? "ok  " : "FAIL")} {c.Name} / {command}: expected {expected}, got {outcome.Result} in {watch.Elapsed.TotalSeconds:0.0} s{(ok ? "" : " -- " + outcome.Detail)}");
            }
            reports[i] = report.ToString();
        });
        var summary = new StringBuilder(string.Concat(reports));
        var inputsAfter = Snapshot(corpus.Combine("cases"));
        summary.AppendLine($"cases: {corpus.Cases.Count}; runs: {tried}; refused cleanly: {refused}; accepted (valid): {accepted}; crashes, hangs, wrong answers: {failures}");
        output.WriteLine(summary.ToString());
        Assert.True(failures == 0, summary.ToString());
        Assert.True(inputs == inputsAfter, "an input of the corpus was changed");
    }
}
