using System.Text;

namespace Oci.Build.Registry.Auth;

/// <summary>
/// One challenge of a <c>WWW-Authenticate</c> header (RFC 7235): a scheme (<c>Bearer</c>, <c>Basic</c>) and its
/// parameters (<c>realm</c>, <c>service</c>, <c>scope</c>, <c>error</c>). Parameter names are case-insensitive.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? Realm => Parameter("realm");

    public string? Service => Parameter("service");

    public string? Scope => Parameter("scope");

    /// <summary>Bearer's <c>error</c>, e.g. <c>insufficient_scope</c> or <c>invalid_token</c>.</summary>
    public string? Error => Parameter("error");

    public string? Parameter(string name) => Parameters.TryGetValue(name, out var value) ? value : null;

    /// <summary>Parses every challenge of a header value; unknown or malformed parts are skipped, never thrown on.</summary>
    public static IReadOnlyList<AuthChallenge> ParseAll(string? header)
    {
        var challenges = new List<AuthChallenge>();
        if (string.IsNullOrWhiteSpace(header)) return challenges;
        var reader = new Reader(header);
        string? scheme = null;
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (!reader.AtEnd)
        {
            reader.SkipSeparators();
            var token = reader.ReadToken();
            if (token.Length == 0)
            {
                reader.Skip();
                continue;
            }
            reader.SkipSpaces();
            if (reader.Peek == '=' && scheme is not null)
            {
                reader.Skip();
                reader.SkipSpaces();
                parameters[token] = reader.Peek == '"' ? reader.ReadQuoted() : reader.ReadToken();
            }
            else
            {
                // A token not followed by '=' starts a new challenge (or is a token68, which no registry scheme uses).
                if (scheme is not null) challenges.Add(new AuthChallenge(scheme, parameters));
                scheme = token;
                parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            }
        }
        if (scheme is not null) challenges.Add(new AuthChallenge(scheme, parameters));
        return challenges;
    }

    private sealed class Reader(string text)
    {
        private int _position;

        public bool AtEnd => _position >= text.Length;

        public char Peek => AtEnd ? '\0' : text[_position];

        public void Skip() => _position++;

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(text[_position])) _position++;
        }

        public void SkipSeparators()
        {
            while (!AtEnd && (char.IsWhiteSpace(text[_position]) || text[_position] == ',')) _position++;
        }

        public string ReadToken()
        {
            var start = _position;
            while (!AtEnd && !char.IsWhiteSpace(text[_position]) && text[_position] is not (',' or '=' or '"')) _position++;
            return text[start.._position];
        }

        public string ReadQuoted()
        {
            var value = new StringBuilder();
            _position++; // opening quote
            while (!AtEnd && text[_position] != '"')
            {
                if (text[_position] == '\\' && _position + 1 < text.Length) _position++;
                value.Append(text[_position++]);
            }
            _position++; // closing quote
            return value.ToString();
        }
    }
}
