namespace Oci.Build.Cli;

/// <summary>Positional arguments, <c>--name value</c> options (an option may repeat) and value-less flags (<c>--force</c>).</summary>
public sealed class Arguments
{
    /// <summary>Options that take no value.</summary>
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(StringComparer.Ordinal) { "--force" };

    private readonly List<string> _positional = [];
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);

    public Arguments(IEnumerable<string> args)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (Flags.Contains(arg))
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

    public string Positional(int index, string name) =>
        index < _positional.Count ? _positional[index] : throw new UsageException($"Missing {name}.");

    public IReadOnlyList<string> All(params string[] names) => names.SelectMany(n => _options.GetValueOrDefault(n) ?? []).ToList();

    public string? Single(params string[] names) => All(names) switch
    {
        [] => null,
        [var one] => one,
        _ => throw new UsageException($"{names[0]} may be given once."),
    };

    public bool Flag(string name) => _flags.Contains(name);

    public void ExpectOnly(int positional, params string[] options)
    {
        var unknownFlag = _flags.FirstOrDefault(f => !options.Contains(f));
        if (unknownFlag is not null) throw new UsageException($"Unknown option {unknownFlag}.");
        if (_positional.Count > positional) throw new UsageException($"Unexpected argument '{_positional[positional]}'.");
        var unknown = _options.Keys.FirstOrDefault(k => !options.Contains(k));
        if (unknown is not null) throw new UsageException($"Unknown option {unknown}.");
    }
}
