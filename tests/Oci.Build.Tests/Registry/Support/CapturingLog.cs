using System.Collections.Concurrent;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>An <see cref="IBuildLog"/> that keeps every line, to assert on what the engine reported (and never leaked).</summary>
public sealed class CapturingLog : IBuildLog
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IEnumerable<string> Lines => _lines;

    public string Text => string.Join("\n", _lines);

    public void Info(string message) => _lines.Enqueue("info: " + message);

    public void Detail(string message) => _lines.Enqueue("detail: " + message);

    public void Warning(string code, string message) => _lines.Enqueue($"warning {code}: {message}");
}
