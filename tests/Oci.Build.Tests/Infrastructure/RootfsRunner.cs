using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>
/// Starts an unpacked image's entrypoint the way a container runtime would, without one: a private mount and PID
/// namespace (unshare), /proc mounted, a few device nodes, chroot into the rootfs, the config's working directory, user
/// and environment. The network namespace is the host's, so a server inside is reachable on 127.0.0.1.
/// </summary>
public sealed class RootfsRunner : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RootfsRunner(Process process)
    {
        _process = process;
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    /// <param name="bundle">An <c>umoci unpack</c> bundle (config.json + rootfs/).</param>
    /// <param name="imageConfig">The image config (for Entrypoint, Cmd, Env, WorkingDir, User).</param>
    public static RootfsRunner Start(string bundle, JsonObject imageConfig, IDictionary<string, string> environmentOverrides)
    {
        var rootfs = Path.Combine(bundle, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "proc"));
        Directory.CreateDirectory(Path.Combine(rootfs, "dev"));
        foreach (var (name, major, minor) in new[] { ("null", 1, 3), ("zero", 1, 5), ("random", 1, 8), ("urandom", 1, 9) })
        {
            var node = Path.Combine(rootfs, "dev", name);
            if (!File.Exists(node))
                ProcessRunner.Run("mknod", "-m", "666", node, "c", major.ToString(), minor.ToString()).EnsureSuccess("mknod");
        }

        var config = imageConfig["config"]!.AsObject();
        var env = new Dictionary<string, string>();
        foreach (var line in config["Env"]?.AsArray().Select(n => n!.GetValue<string>()) ?? [])
        {
            var eq = line.IndexOf('=');
            env[line[..eq]] = line[(eq + 1)..];
        }
        foreach (var (key, value) in environmentOverrides) env[key] = value;
        var command = (config["Entrypoint"]?.AsArray() ?? []).Concat(config["Cmd"]?.AsArray() ?? []).Select(n => n!.GetValue<string>()).ToList();
        var workdir = config["WorkingDir"]?.GetValue<string>() ?? "/";
        var user = config["User"]?.GetValue<string>();

        static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
        var script = new StringBuilder();
        script.Append($"mount -t proc proc {Quote(Path.Combine(rootfs, "proc"))} && cd {Quote(rootfs + workdir)} && exec env -i ");
        foreach (var (key, value) in env) script.Append(Quote($"{key}={value}")).Append(' ');
        script.Append("/usr/sbin/chroot ");
        if (!string.IsNullOrEmpty(user)) script.Append($"--userspec={Quote(user.Contains(':') ? user : user + ":" + user)} ");
        script.Append(Quote(rootfs)).Append(' ');
        script.Append(string.Join(' ', command.Select(Quote)));

        var info = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--mount", "--pid", "--fork", "--kill-child", "sh", "-c", script.ToString() }) info.ArgumentList.Add(arg);
        var process = new Process { StartInfo = info };
        var runner = new RootfsRunner(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (runner._output) runner._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (runner._output) runner._output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return runner;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
