using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Oci.Build.Images;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;

/// <summary>
/// Registry transfers against a local CNCF registry (docker-registry, plain HTTP on loopback), same layout, same machine:
/// pushing to an empty registry (Oci.Build's pusher in-process vs `skopeo copy oci:... docker://...`), and pulling the
/// image into a layout with an empty cache (Oci.Build's base image pull, as a publish does, vs `skopeo copy docker://... oci:...`).
/// </summary>
internal static class PushBenchmark
{
    public static void Run(string work, string layout, string tag, int runs = 3)
    {
        var ours = new List<double>();
        var skopeo = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            ours.Add(WithRegistry(work, $"ours-{run}", address =>
            {
                var emptyConf = Path.Combine(work, "registries.conf");
                File.WriteAllText(emptyConf, "");
                var settings = new RegistrySettings { CacheDirectory = Path.Combine(work, $"cache-{run}"), RegistriesConfig = emptyConf, NameDelegation = false };
                var stopwatch = Stopwatch.StartNew();
                var result = new LayoutPusher(settings, NullBuildLog.Instance).Push(new LayoutPushRequest
                {
                    LayoutPath = layout, Registry = address, Repository = "bench/app", Tags = [tag],
                });
                if (result.Push.BytesUploaded == 0) throw new InvalidOperationException("Nothing was uploaded: the registry was not empty.");
                return stopwatch.Elapsed.TotalMilliseconds;
            }));
            skopeo.Add(WithRegistry(work, $"skopeo-{run}", address =>
            {
                var stopwatch = Stopwatch.StartNew();
                Run("skopeo", "copy", "-q", "--dest-tls-verify=false", $"oci:{layout}:{tag}", $"docker://{address}/bench/app:{tag}");
                return stopwatch.Elapsed.TotalMilliseconds;
            }));
        }
        Report($"Push {layout}:{tag} to an empty local registry", ours, skopeo);

        var oursPull = new List<double>();
        var skopeoPull = new List<double>();
        WithRegistry(work, "pull", address =>
        {
            Run("skopeo", "copy", "-q", "--dest-tls-verify=false", $"oci:{layout}:{tag}", $"docker://{address}/bench/app:{tag}");
            var emptyConf = Path.Combine(work, "registries.conf");
            File.WriteAllText(emptyConf, "");
            for (var run = 0; run < runs; run++)
            {
                var settings = new RegistrySettings { CacheDirectory = Path.Combine(work, $"pull-cache-{run}"), RegistriesConfig = emptyConf, NameDelegation = false };
                var stopwatch = Stopwatch.StartNew();
                using (var images = new RegistryBaseImages(settings, NullBuildLog.Instance, null))
                using (var image = new BaseImageResolver([images.Provider]).Resolve($"{address}/bench/app:{tag}", Platform.FromRuntimeIdentifier("linux-x64")))
                    ImageBuilder.Build(image, [], new ImageSettings { Repository = "bench/app", Tags = [tag], Platform = Platform.FromRuntimeIdentifier("linux-x64"), Created = DateTimeOffset.UnixEpoch },
                        Path.Combine(work, $"pulled-ours-{run}"));
                oursPull.Add(stopwatch.Elapsed.TotalMilliseconds);

                stopwatch.Restart();
                Run("skopeo", "copy", "-q", "--src-tls-verify=false", $"docker://{address}/bench/app:{tag}", $"oci:{Path.Combine(work, $"pulled-skopeo-{run}")}:{tag}");
                skopeoPull.Add(stopwatch.Elapsed.TotalMilliseconds);
            }
            return 0;
        });
        Report($"Pull {tag} from a local registry into a layout (empty cache)", oursPull, skopeoPull);
    }

    private static void Report(string title, List<double> ours, List<double> skopeo)
    {
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        Console.WriteLine($"{title}, median of {ours.Count}:");
        Console.WriteLine($"  Oci.Build (in-process)  {Median(ours),8:F0} ms   runs: {string.Join(", ", ours.Select(t => t.ToString("F0")))}");
        Console.WriteLine($"  skopeo copy             {Median(skopeo),8:F0} ms   runs: {string.Join(", ", skopeo.Select(t => t.ToString("F0")))}");
        Console.WriteLine($"  ratio Oci.Build/skopeo: {Median(ours) / Median(skopeo):F2}x (lower is faster)");
    }

    private static double WithRegistry(string work, string name, Func<string, double> measure)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var config = Path.Combine(work, $"{name}.yml");
        File.WriteAllText(config, $"version: 0.1\nlog: {{ level: error }}\nstorage: {{ filesystem: {{ rootdirectory: {Path.Combine(work, name)} }} }}\nhttp: {{ addr: 127.0.0.1:{port} }}\n");
        using var registry = Process.Start(new ProcessStartInfo("docker-registry", ["serve", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                try { using var probe = new TcpClient("127.0.0.1", port); break; }
                catch (SocketException) { Thread.Sleep(100); }
            }
            return measure($"127.0.0.1:{port}");
        }
        finally
        {
            registry.Kill();
            registry.WaitForExit();
        }
    }

    private static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} failed: {error}");
    }
}
