using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Oci.Build.Tests.Serve;

/// <summary>
/// `dotnet oci serve ...` as its own process (the tool as users run it, and a process whose memory can be measured):
/// started with --listen 127.0.0.1:0, ready once it prints the address it bound; killed (by its id) on dispose.
/// </summary>
public sealed partial class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource<string> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ServeProcess(params string[] arguments) : this("dotnet", [Path.Combine(AppContext.BaseDirectory, "Oci.Build.Cli.dll")], arguments)
    {
    }

    /// <summary>`serve` run by <paramref name="program"/>, an installed dotnet-oci, instead of the build's own CLI.</summary>
    public static ServeProcess Of(string program, params string[] arguments) => new(program, [], arguments);

    private ServeProcess(string program, string[] programArguments, string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        foreach (var argument in programArguments) info.ArgumentList.Add(argument);
        info.ArgumentList.Add("serve");
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.ArgumentList.Add("--listen");
        info.ArgumentList.Add("127.0.0.1:0");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
            if (Serving().Match(e.Data) is { Success: true } match) _address.TrySetResult(match.Groups[1].Value);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_error) _error.AppendLine(e.Data);
        };
        _process.Exited += (_, _) =>
        {
            // Exited can come before the last lines of stderr were delivered: WaitForExit() without a timeout also waits
            // for the redirected streams to reach their end (the message once came out empty in a full run).
            _process.WaitForExit();
            _address.TrySetException(new InvalidOperationException($"dotnet oci serve exited with {_process.ExitCode}:\n{Error}"));
        };
        _process.EnableRaisingEvents = true;
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!_address.Task.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException($"dotnet oci serve did not start:\n{Output}\n{Error}");
        Host = _address.Task.Result;
    }

    /// <summary>127.0.0.1:PORT.</summary>
    public string Host { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>stderr: warnings and one log line per request.</summary>
    public string Error
    {
        get { lock (_error) return _error.ToString(); }
    }

    /// <summary>
    /// The server's log once a line satisfies <paramref name="logged"/>: it writes a request's line after answering it,
    /// so a client can hold the answer before the line arrives. Bounded: the log as it is after 30 s.
    /// </summary>
    public string ErrorOnce(Func<string, bool> logged)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Error.Split('\n').Any(logged) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        return Error;
    }

    /// <summary>Resident memory now and at its peak (VmRSS, VmHWM of /proc/PID/status), in KiB.</summary>
    public (long Current, long Peak) Memory()
    {
        var status = File.ReadAllLines($"/proc/{_process.Id}/status");
        long Field(string name) => long.Parse(status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return (Field("VmRSS"), Field("VmHWM"));
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }

    [GeneratedRegex(@"^serving \d+ repositories on https?://([^/]+)/")]
    private static partial Regex Serving();
}
