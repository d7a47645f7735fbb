using System.Diagnostics;
using System.Text;

namespace Oci.Build.Tests.Infrastructure;

public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;

    public ProcessResult EnsureSuccess(string what)
    {
        if (ExitCode != 0)
            throw new Xunit.Sdk.XunitException($"{what} failed with exit code {ExitCode}:\n{StandardOutput}\n{StandardError}");
        return this;
    }
}

/// <summary>Runs real tools (dotnet, skopeo, umoci, openssl, ...) and captures their output.</summary>
public static class ProcessRunner
{
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, string? standardInput = null, TimeSpan? timeout = null,
        Action<Process>? whileRunning = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
            // Not the test process's current folder: in-process MSBuild (EvaluatedProject) moves it into a temp project
            // folder that its test then deletes, and a tool started meanwhile would run in a deleted folder.
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }
        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }
        whileRunning?.Invoke(process);
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            // What it was doing when it was stopped: the processes under it, and the end of what it wrote.
            var tree = ProcessTree(process.Id);
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            string Tail(StringBuilder text) { lock (text) return string.Join('\n', text.ToString().Split('\n').TakeLast(40)); }
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in time.\nprocesses:\n{tree}\nstdout (end):\n{Tail(stdout)}\nstderr (end):\n{Tail(stderr)}");
        }
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public static ProcessResult Run(string fileName, params string[] arguments) => Run(fileName, (IEnumerable<string>)arguments);

    /// <summary>The ps lines of a process and every process under it.</summary>
    private static string ProcessTree(int root)
    {
        var lines = Run("ps", "-eo", "pid,ppid,stat,etime,args").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => (Fields: l.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries), Line: l)).Where(p => p.Fields.Length >= 2).ToList();
        var tree = new HashSet<string> { root.ToString() };
        for (var grown = true; grown;)
            grown = lines.Where(p => tree.Contains(p.Fields[1])).Aggregate(false, (any, p) => tree.Add(p.Fields[0]) | any);
        return string.Join('\n', lines.Where(p => tree.Contains(p.Fields[0])).Select(p => p.Line));
    }
}
