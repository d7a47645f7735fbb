using Oci.Build.Fuzz;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Hardening;

/// <summary>
/// The fuzz targets (tests/Oci.Build.Fuzz, run by eng/fuzz.sh under AFL++) stay runnable: every target accepts its
/// seeds, and every finding kept under tests/Oci.Build.Fuzz/findings/TARGET is refused with a coded error now.
/// </summary>
public class FuzzTargetTests
{
    public static TheoryData<string> Targets => new(FuzzTargets.All.Keys);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_and_every_kept_finding_is_read_or_refused_with_a_coded_error(string target)
    {
        var inputs = Seeds.All().Where(s => s.Target == target).Select(s => (s.Name, s.Content)).ToList();
        Assert.NotEmpty(inputs);
        var findings = Path.Combine(RepoPaths.Root, "tests", "Oci.Build.Fuzz", "findings", target);
        if (Directory.Exists(findings))
            inputs.AddRange(Directory.GetFiles(findings).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))));
        foreach (var (name, content) in inputs)
        {
            var escaped = Record.Exception(() => FuzzTargets.All[target](content));
            Assert.True(escaped is null, $"{target}/{name}: {escaped}");
        }
    }
}
