using System.Text;
using System.Text.RegularExpressions;

namespace Oci.Build.Layers;

/// <summary>Path globs over the publish folder: <c>*</c> within a segment, <c>**</c> across segments, <c>?</c> one character.</summary>
public sealed class Glob
{
    private readonly Regex _regex;

    public Glob(string pattern)
    {
        Pattern = pattern.Replace('\\', '/').TrimStart('/');
        if (Pattern.StartsWith("./", StringComparison.Ordinal)) Pattern = Pattern[2..];
        var regex = new StringBuilder("^");
        for (var i = 0; i < Pattern.Length; i++)
        {
            var c = Pattern[i];
            if (c == '*' && i + 1 < Pattern.Length && Pattern[i + 1] == '*')
            {
                var slashFollows = i + 2 < Pattern.Length && Pattern[i + 2] == '/';
                regex.Append(slashFollows ? "(?:.*/)?" : ".*");
                i += slashFollows ? 2 : 1;
            }
            else if (c == '*') regex.Append("[^/]*");
            else if (c == '?') regex.Append("[^/]");
            else regex.Append(Regex.Escape(c.ToString()));
        }
        regex.Append('$');
        _regex = new Regex(regex.ToString(), RegexOptions.CultureInvariant);
    }

    public string Pattern { get; }

    public bool IsMatch(string relativePath) => _regex.IsMatch(relativePath.Replace('\\', '/'));
}
