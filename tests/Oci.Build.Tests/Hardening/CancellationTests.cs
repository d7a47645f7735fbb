using System.Diagnostics;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Hardening;

/// <summary>
/// Ctrl+C during a build: MSBuild cancels the running Oci.Build task (ICancelableTask), which stops at once instead of
/// waiting on the network, reports OCI1090, and commits nothing. The push here waits on a registry that never answers
/// its first upload (a real docker-registry behind the fault proxy): without cancellation it would wait forever.
/// </summary>
[Collection("Publish")]
public sealed class CancellationTests
{
    [Fact]
    public void Ctrl_C_during_a_push_to_a_registry_that_never_answers_cancels_the_task_and_tags_nothing()
    {
        using var temp = new TempDirectory("cancel");
        using var registry = new RegistryServer();
        // Only this build's repository hangs, and only its hang counts below: Ctrl+C is pressed once this push is stuck.
        const string uploads = "/v2/x/cancel/blobs/uploads/";
        using var proxy = new FaultProxy(registry.Host) { Rule = r => r.Method == "POST" && r.Path.StartsWith(uploads, StringComparison.Ordinal) ? new Fault.Hang() : null };
        var layout = temp.Combine("layout");
        TestImages.Base(temp.Path, layout, temp.Combine("cache"), 64 * 1024, tag: "1.0");
        using var sample = new SampleProject();

        var interruptedAt = Stopwatch.StartNew();
        // `env --default-signal=INT`: a test run started in the background by a non-interactive shell (a CI script's
        // `cmd &`) inherits SIGINT ignored, and .NET keeps ignoring a SIGINT it inherits ignored, so Ctrl+C would never
        // reach MSBuild. Measured: /proc/PID/status SigIgn 0x6 under `(... &)`; the test then waited its 5 minutes.
        var run = ProcessRunner.Run("env", ["--default-signal=INT", "dotnet", "msbuild", sample.ProjectFile, "-nodeReuse:false", "-t:OciPushLayout", $"-p:ContainerImageLayoutPath={layout}",
                $"-p:ContainerRegistry={proxy.Host}", "-p:ContainerRepository=x/cancel", "-p:ContainerImageTag=1.0"],
            sample.Directory, new Dictionary<string, string?> { ["DOCKER_CONFIG"] = temp.Combine("no-docker-config") },
            timeout: TimeSpan.FromMinutes(5), whileRunning: process =>
            {
                // Wait (bounded) until the push is stuck on the upload nobody answers, then press Ctrl+C.
                var deadline = DateTime.UtcNow.AddMinutes(3);
                while (!proxy.Exchanges.Any(e => e.StartsWith($"POST {uploads}", StringComparison.Ordinal) && e.Contains("no answer", StringComparison.Ordinal))
                       && !process.HasExited && DateTime.UtcNow < deadline)
                    Thread.Sleep(100);
                Assert.False(process.HasExited, "the push ended before it reached the upload that hangs");
                interruptedAt.Restart();
                ProcessRunner.Run("kill", "-INT", process.Id.ToString()).EnsureSuccess("kill -INT");
            });

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("OCI1090", run.Output);
        Assert.DoesNotContain("MSB4220", run.Output); // MSBuild's "waiting for the task to finish": the task did not cancel
        // Canceled, not given up on: the client hung up on the silent registry because of the Ctrl+C. The bound is loose
        // (the registry would have kept it waiting forever); it only tells a canceled task from one that was waited for.
        Assert.Contains(proxy.Exchanges, e => e.Contains("the client hung up", StringComparison.Ordinal));
        Assert.True(interruptedAt.Elapsed < TimeSpan.FromSeconds(60), $"the build took {interruptedAt.Elapsed} to stop after Ctrl+C");
        // Nothing was tagged.
        var inspect = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/x/cancel:1.0");
        Assert.NotEqual(0, inspect.ExitCode);
    }

    [Fact]
    public async Task Canceling_the_pull_of_a_base_whose_layer_never_arrives_stops_it_and_stores_nothing_of_the_layer()
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        var layout = harness.Combine("base");
        var layer = Assert.Single(TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 64 * 1024, tag: "1").Layers).Descriptor;
        harness.Push(layout, registry.Host, "lib/base", "1");
        using var proxy = new FaultProxy(registry.Host) { Rule = r => r.Method == "GET" && r.Path.EndsWith(layer.Digest.Hex, StringComparison.Ordinal) ? new Fault.Hang() : null };

        using var cancel = new CancellationTokenSource();
        var pull = Task.Run(() => harness.Pull($"{proxy.Host}/lib/base:1", cancellationToken: cancel.Token));
        Assert.True(SpinWait.SpinUntil(() => proxy.Exchanges.Any(e => e.Contains("no answer", StringComparison.Ordinal)) || pull.IsCompleted,
            TimeSpan.FromMinutes(1)), "the pull never reached the layer that hangs");
        Assert.False(pull.IsCompleted, "the pull ended before it reached the layer that hangs");
        var canceledAt = System.Diagnostics.Stopwatch.StartNew();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(canceledAt.Elapsed < TimeSpan.FromSeconds(30), $"the pull took {canceledAt.Elapsed} to stop");
        Assert.False(harness.ContentStore.Has(layer.Digest));
        var scratch = Path.Combine(harness.Cache, "tmp");
        Assert.True(!Directory.Exists(scratch) || Directory.GetFiles(scratch).Length == 0, "the canceled download left its scratch file");
    }
}
