using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;

/// <summary>
/// Pushing one layout to an empty local CNCF registry (docker-registry, plain HTTP on loopback): Oci.Build's pusher
/// in-process vs `skopeo copy oci:LAYOUT:TAG docker://...`, each into a fresh registry, same layout, same machine.
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
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        Console.WriteLine($"Push {layout}:{tag} to an empty local registry, median of {runs}:");
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
