using System.Text;
using System.Text.RegularExpressions;
using Oci.Build.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Oci.Build.Tests.Docs;

/// <summary>
/// Runs the documented commands so the docs cannot rot. A ```bash block right after a `&lt;!-- run --&gt;` line in
/// README.md or docs/*.md is extracted; a page's blocks run in order, in one bash script (set -euo pipefail), from the
/// root of a scratch copy of the repository (the files git knows, tracked or new). The tools' state stays in the scratch
/// folder too: its own Oci.Build cache, podman storage and GnuPG home. A page's commands that push or pull find a real
/// registry (docker-registry, anonymous, plain HTTP on loopback) in <c>$REGISTRY</c> (<c>127.0.0.1:PORT</c>), started for
/// that page and stopped after it. See docs/README.md.
/// </summary>
[Collection("Docs")]
public sealed class DocsCommandTests(DocsRepositoryCopy copy, ITestOutputHelper output) : IClassFixture<DocsRepositoryCopy>
{
    /// <summary>
    /// The pages run by <see cref="DocsCommandTestsSecondStream"/>, beside this class's: the pages take minutes each, so
    /// two streams of them (balanced by measured time) keep the docs from being the suite's longest stream.
    /// </summary>
    internal static readonly string[] SecondStreamPages = ["docs/getting-started.md", "README.md", "docs/layering-and-reproducibility.md", "docs/bundles.md"];

    public static TheoryData<string> PagesWithCommands() => PagesWithCommands(second: false);

    internal static TheoryData<string> PagesWithCommands(bool second)
    {
        var data = new TheoryData<string>();
        foreach (var page in Pages().Where(p => Blocks(p).Count > 0).Select(p => Path.GetRelativePath(RepoPaths.Root, p)))
            if (SecondStreamPages.Contains(page) == second) data.Add(page);
        return data;
    }

    [Theory]
    [MemberData(nameof(PagesWithCommands))]
    public void The_marked_commands_of_the_page_run(string page) => RunPage(page, copy, output);

    /// <remarks>
    /// The page's output goes to the test's output (kept in a trx log) with the time each block started, since the
    /// pages are the suite's longest tests and the place to look when it grows.
    /// </remarks>
    internal static void RunPage(string page, DocsRepositoryCopy copy, ITestOutputHelper output)
    {
        var blocks = Blocks(Path.Combine(RepoPaths.Root, page));
        using var scratch = new TempDirectory("docs");
        using var registry = new Registry.Support.RegistryServer();
        var root = copy.Reset();
        var script = new StringBuilder("set -euo pipefail\n");
        foreach (var (block, index) in blocks.Select((b, i) => (b, i)))
            script.Append($"echo \"--- {page} block {index + 1} at $SECONDS s\"\ncd \"{root}\"\n{block}\n");
        // podman refuses a runroot path longer than 50 characters.
        var runroot = Path.Combine("/tmp", "ocid-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(scratch.Combine("storage.conf"), $"[storage]\ndriver = \"vfs\"\ngraphroot = \"{scratch.Combine("podman")}\"\nrunroot = \"{runroot}\"\n");
        Directory.CreateDirectory(scratch.Combine("gnupg"));
        File.SetUnixFileMode(scratch.Combine("gnupg"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var result = ProcessRunner.Run("bash", ["-c", script.ToString()], root, new Dictionary<string, string?>
            {
                ["OCI_BUILD_CACHE"] = scratch.Combine("cache"),
                ["CONTAINERS_STORAGE_CONF"] = scratch.Combine("storage.conf"),
                ["GNUPGHOME"] = scratch.Combine("gnupg"),
                ["MSBUILDDISABLENODEREUSE"] = "1",
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                ["SOURCE_DATE_EPOCH"] = null,
                ["REGISTRY"] = registry.Host,
            }, timeout: TimeSpan.FromMinutes(15));
            output.WriteLine(result.Output);
            Assert.True(result.ExitCode == 0, $"{page}: a documented command failed (exit {result.ExitCode}):\n{result.Output}");
        }
        finally
        {
            ProcessRunner.Run("gpgconf", ["--kill", "all"], environment: new Dictionary<string, string?> { ["GNUPGHOME"] = scratch.Combine("gnupg") });
            if (Directory.Exists(runroot)) Directory.Delete(runroot, recursive: true);
        }
    }

    [Fact]
    public void The_marker_is_found_only_before_bash_blocks()
    {
        var page = string.Join('\n', "text", "<!-- run -->", "```bash", "echo one", "```", "```bash", "echo unmarked", "```", "<!-- run -->", "", "```bash", "echo two", "```");
        Assert.Equal(["echo one", "echo two"], Blocks(page.Split('\n')));
        // Every page that marks a block marks only bash blocks (a marker before anything else is a mistake).
        foreach (var file in Pages())
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim() != Marker) continue;
                var next = lines.Skip(i + 1).FirstOrDefault(l => l.Trim().Length > 0);
                Assert.True(next?.Trim() == "```bash", $"{file}:{i + 1}: {Marker} must come right before a ```bash block");
            }
        }
    }

    /// <summary>
    /// Every command shown in a shell block of the README or docs is run: its block is marked, or the very same command
    /// (whitespace and trailing comments aside) is in a marked block of some page, or its block says why it cannot run
    /// here (`&lt;!-- not run: REASON --&gt;`: the internet, the reader's own registry or project, the test suite itself).
    /// </summary>
    [Fact]
    public void Every_documented_command_is_run_or_says_why_not()
    {
        var run = Pages().SelectMany(Blocks).SelectMany(Commands).ToHashSet(StringComparer.Ordinal);
        var unrun = new List<string>();
        foreach (var page in Pages().Where(p => !GeneratedPages.Contains(Path.GetFileName(p))))
        {
            var lines = File.ReadAllLines(page);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim() is not ("```bash" or "```sh")) continue;
                var end = i + 1;
                while (end < lines.Length && lines[end].Trim() != "```") end++;
                var before = lines.Take(i).LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
                if (before == Marker) { i = end; continue; }
                if (before.StartsWith(NotRunMarker, StringComparison.Ordinal))
                {
                    Assert.True(before.Length > NotRunMarker.Length + " -->".Length + 3, $"{page}:{i}: say why the block is not run");
                    i = end;
                    continue;
                }
                foreach (var command in Commands(string.Join('\n', lines.Skip(i + 1).Take(end - i - 1))).Where(c => !run.Contains(c)))
                    unrun.Add($"{Path.GetRelativePath(RepoPaths.Root, page)}:{i + 1}: {command}");
                i = end;
            }
        }
        Assert.True(unrun.Count == 0, "Commands no test runs (mark the block <!-- run -->, run the same command in a marked block, or say <!-- not run: why -->):\n" + string.Join('\n', unrun));
    }

    [Fact]
    public void A_command_counts_as_run_only_if_a_marked_block_has_it_word_for_word()
    {
        Assert.Equal(["dotnet oci verify a.tar", "skopeo inspect oci:x:latest"], Commands("dotnet oci  verify a.tar   # checks\n# a comment\n\nskopeo inspect \\\n  oci:x:latest"));
        Assert.DoesNotContain("dotnet oci verify b.tar", Commands("dotnet oci verify a.tar"));
    }

    /// <summary>The commands of a block: continuation lines joined, comments and repeated spaces dropped.</summary>
    private static IEnumerable<string> Commands(string block) =>
        Regex.Replace(block, @"\\\n", " ").Split('\n')
            .Select(l => Regex.Replace(Regex.Replace(l, @"(^|\s)#.*$", ""), @"\s+", " ").Trim())
            .Where(l => l.Length > 0);

    private static readonly HashSet<string> GeneratedPages = ["cli.md", "errors.md"];

    private const string NotRunMarker = "<!-- not run:";

    private const string Marker = "<!-- run -->";

    private static IEnumerable<string> Pages() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Order(StringComparer.Ordinal).Prepend(Path.Combine(RepoPaths.Root, "README.md"));

    private static List<string> Blocks(string file) => Blocks(File.ReadAllLines(file));

    private static List<string> Blocks(IReadOnlyList<string> lines)
    {
        var blocks = new List<string>();
        var quoted = false;   // inside a ````markdown fence: an example of the marker (docs/README.md), not a command
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].TrimStart().StartsWith("````", StringComparison.Ordinal)) quoted = !quoted;
            if (quoted || lines[i].Trim() != Marker) continue;
            var start = i + 1;
            while (start < lines.Count && lines[start].Trim().Length == 0) start++;
            if (start >= lines.Count || lines[start].Trim() != "```bash") continue;
            var end = start + 1;
            while (end < lines.Count && lines[end].Trim() != "```") end++;
            blocks.Add(string.Join('\n', lines.Skip(start + 1).Take(end - start - 1)));
            i = end;
        }
        return blocks;
    }
}

/// <summary>The second stream of documented pages (<see cref="DocsCommandTests.SecondStreamPages"/>), in its own copy of the repository.</summary>
[Collection("Docs, second stream")]
public sealed class DocsCommandTestsSecondStream(DocsRepositoryCopy copy, ITestOutputHelper output) : IClassFixture<DocsRepositoryCopy>
{
    public static TheoryData<string> PagesWithCommands() => DocsCommandTests.PagesWithCommands(second: true);

    [Theory]
    [MemberData(nameof(PagesWithCommands))]
    public void The_marked_commands_of_the_page_run(string page) => DocsCommandTests.RunPage(page, copy, output);
}

/// <summary>
/// The scratch copy of the repository the pages run in: the files git knows (tracked, or new and not ignored), put back
/// exactly before every page, everything else removed, except the build output of src/ (each project's bin/ and obj/).
/// Those are a pure cache of the sources beside them: keeping them spares every page compiling the engine, the tasks and
/// the CLI again, while the samples, keys and outputs a page makes are gone before the next one.
/// </summary>
public sealed class DocsRepositoryCopy : IDisposable
{
    private readonly TempDirectory _scratch = new("docs-repo");

    private string Root => _scratch.Combine("repo");

    /// <returns>The root of the copy, as a fresh clone would look (plus src/'s build output).</returns>
    public string Reset()
    {
        var files = ProcessRunner.Run("git", ["ls-files", "-co", "--exclude-standard", "-z"], RepoPaths.Root).EnsureSuccess("git ls-files").StandardOutput
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => File.Exists(Path.Combine(RepoPaths.Root, f))) // deleted in the work tree
            .ToHashSet(StringComparer.Ordinal);
        Directory.CreateDirectory(Root);
        foreach (var existing in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).ToList())
        {
            var relative = Path.GetRelativePath(Root, existing);
            if (!files.Contains(relative) && !IsSourceBuildOutput(relative)) File.Delete(existing);
        }
        foreach (var directory in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).ToList())
        {
            if (!Directory.EnumerateFileSystemEntries(directory).Any()) Directory.Delete(directory);
        }
        foreach (var file in files)
        {
            var source = Path.Combine(RepoPaths.Root, file);
            var target = Path.Combine(Root, file);
            // Unchanged files stay untouched, so their timestamps (and the build output's up-to-date checks) hold.
            if (File.Exists(target) && new FileInfo(target).Length == new FileInfo(source).Length && File.ReadAllBytes(target).AsSpan().SequenceEqual(File.ReadAllBytes(source))) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target, overwrite: true);
        }
        return Root;
    }

    /// <summary>src/PROJECT/bin/... or src/PROJECT/obj/...</summary>
    private static bool IsSourceBuildOutput(string relative)
    {
        var parts = relative.Split(Path.DirectorySeparatorChar);
        return parts.Length > 3 && parts[0] == "src" && parts[2] is "bin" or "obj";
    }

    public void Dispose() => _scratch.Dispose();
}
