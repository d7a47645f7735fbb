namespace Oci.Build.Cli;

/// <summary>Positional arguments, <c>--name value</c> options (an option may repeat) and value-less flags the command declares.</summary>
public sealed class Arguments
{
    private readonly List<string> _positional = [];
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);

    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly IReadOnlySet<string> _knownFlags;

    public Arguments(IEnumerable<string> args, IReadOnlySet<string>? flags = null)
    {
        _knownFlags = flags ?? new HashSet<string>();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (_knownFlags.Contains(arg))
            {
                _flags.Add(arg);
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal) || (arg.Length == 2 && arg[0] == '-'))
            {
                if (!e.MoveNext()) throw new UsageException($"Option {arg} needs a value.");
                if (!_options.TryGetValue(arg, out var values)) _options[arg] = values = [];
                values.Add(e.Current);
            }
            else
            {
                _positional.Add(arg);
            }
        }
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string Positional(int index, string name) =>
        index < _positional.Count ? _positional[index] : throw new UsageException($"Missing {name}.");

    public IReadOnlyList<string> All(params string[] names) => names.SelectMany(n => _options.GetValueOrDefault(n) ?? []).ToList();

    public string? Single(params string[] names) => All(names) switch
    {
        [] => null,
        [var one] => one,
        _ => throw new UsageException($"{names[0]} may be given once."),
    };

    public void ExpectOnly(int positional, params string[] options)
    {
        if (_positional.Count > positional) throw new UsageException($"Unexpected argument '{_positional[positional]}'.");
        var unknown = _options.Keys.FirstOrDefault(k => !options.Contains(k));
        if (unknown is not null) throw new UsageException($"Unknown option {unknown}.");
    }
}
