using System.Diagnostics;
using System.Text;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>
/// A real container runtime for the tests: <c>containerd</c> (with <c>runc</c>) started as root with its own root, state
/// and socket under a temp folder, driven with <c>ctr</c>. Images are imported or pulled into the native snapshotter
/// (no overlay or kernel module needed) and run with the host's network, so a server inside answers on 127.0.0.1.
/// Installs nothing: eng/test.sh installs the Debian packages <c>containerd</c> and <c>runc</c>.
/// Stopped by its own process id, never by name.
/// </summary>
public sealed class Containerd : IDisposable
{
    /// <summary>The namespace every image and container of this instance lives in.</summary>
    public const string Namespace = "oci-build-tests";

    private readonly TempDirectory _root;
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public Containerd()
    {
        _root = new TempDirectory("containerd");
        Socket = _root.Combine("containerd.sock");
        // Only what these tests need: content, images, the native snapshotter and runc tasks. No CRI (Kubernetes), no
        // debug or metrics endpoints, and nothing written outside the temp folder (the opt plugin defaults to /opt).
        var config = _root.Combine("config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{_root.Combine("root")}"
            state = "{_root.Combine("state")}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]

            [grpc]
              address = "{Socket}"

            [ttrpc]
              address = "{_root.Combine("containerd.ttrpc.sock")}"

            [debug]
              address = ""

            [metrics]
              address = ""

            [plugins."io.containerd.internal.v1.opt"]
              path = "{_root.Combine("opt")}"

            """);
        var info = new ProcessStartInfo("containerd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilReady();
    }

    /// <summary>The containerd GRPC socket (<c>ctr -a</c>).</summary>
    public string Socket { get; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Runs <c>ctr -a SOCKET -n NAMESPACE ARGS</c>.</summary>
    public ProcessResult Ctr(params string[] arguments) =>
        ProcessRunner.Run("ctr", ["-a", Socket, "-n", Namespace, .. arguments], timeout: TimeSpan.FromMinutes(3));

    /// <summary>
    /// Imports an OCI archive (<c>ctr images import</c>); containerd names each image by its index entry's
    /// <c>org.opencontainers.image.ref.name</c>. Returns the output, which lists what was unpacked.
    /// </summary>
    public string Import(string archivePath) =>
        Ctr("images", "import", "--snapshotter", "native", archivePath).EnsureSuccess($"ctr images import {archivePath}").Output;

    /// <summary>Pulls <c>HOST/REPO:TAG</c> over plain HTTP (the test registries listen on 127.0.0.1 without TLS) and unpacks it.</summary>
    /// <param name="user">USER:PASSWORD for a registry with authentication.</param>
    public string Pull(string reference, string? platform = null, string? user = null)
    {
        var arguments = new List<string> { "images", "pull", "--plain-http", "--snapshotter", "native" };
        if (user is not null) arguments.AddRange(["--user", user]);
        if (platform is not null) arguments.AddRange(["--platform", platform]);
        arguments.Add(reference);
        return Ctr([.. arguments]).EnsureSuccess($"ctr images pull {reference}").Output;
    }

    /// <summary>
    /// Starts <paramref name="reference"/> in the background (<c>ctr run --rm --snapshotter native --net-host</c>) with
    /// <c>ASPNETCORE_URLS=http://127.0.0.1:PORT</c>; dispose the result to kill the task.
    /// </summary>
    public RunningContainer Run(string reference, int port)
    {
        var id = $"t{Guid.NewGuid():N}"[..16];
        var info = new ProcessStartInfo("ctr") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     "-a", Socket, "-n", Namespace, "run", "--rm", "--snapshotter", "native", "--net-host",
                     "--env", $"ASPNETCORE_URLS=http://127.0.0.1:{port}", reference, id,
                 })
            info.ArgumentList.Add(argument);
        return new RunningContainer(this, id, port, Process.Start(info)!);
    }

    private void WaitUntilReady()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"containerd exited with {_process.ExitCode}:\n{Log}");
            if (File.Exists(Socket) && ProcessRunner.Run("ctr", "-a", Socket, "version").ExitCode == 0) return;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"containerd did not answer on {Socket}:\n{Log}");
    }

    public void Dispose()
    {
        try
        {
            // Tasks first: their shims outlive containerd otherwise.
            var tasks = Ctr("tasks", "ls", "-q");
            foreach (var task in tasks.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                Ctr("tasks", "kill", "-s", "SIGKILL", task);
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        _root.Dispose();
    }

    /// <summary>A container started by <see cref="Run"/>: the <c>ctr run</c> process and the task it runs.</summary>
    public sealed class RunningContainer : IDisposable
    {
        private readonly Containerd _containerd;
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        internal RunningContainer(Containerd containerd, string id, int port, Process process)
        {
            _containerd = containerd;
            Id = id;
            Port = port;
            _process = process;
            _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Id { get; }

        public int Port { get; }

        /// <summary>What the container (and ctr) printed so far.</summary>
        public string Output
        {
            get { lock (_output) return _output.ToString(); }
        }

        /// <summary>GET http://127.0.0.1:PORT/PATH once the app listens (retried until it answers or the container exits).</summary>
        public (int Status, string Body) Get(string path = "/")
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    using var response = client.GetAsync($"http://127.0.0.1:{Port}{path}").GetAwaiter().GetResult();
                    return ((int)response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !_process.HasExited)
                {
                    Thread.Sleep(200);
                }
                catch (HttpRequestException ex)
                {
                    throw new Xunit.Sdk.XunitException($"The container {Id} never answered on port {Port} ({ex.Message}). Its output:\n{Output}\ncontainerd:\n{_containerd.Log}");
                }
            }
        }

        public void Dispose()
        {
            _containerd.Ctr("tasks", "kill", "-s", "SIGKILL", Id);
            if (!_process.WaitForExit(20_000))
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
            // --rm removes the container when ctr sees the task end; make sure of it.
            _containerd.Ctr("containers", "rm", Id);
        }
    }
}
