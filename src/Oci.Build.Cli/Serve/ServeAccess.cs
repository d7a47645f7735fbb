using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Serve;

/// <summary>Who asked: a user or token name (for the log; never the secret) and the repositories it may pull.</summary>
public sealed record ServeClient(string Name, IReadOnlyList<string> Pull)
{
    /// <summary>Exact names, <c>PREFIX/*</c> (everything under PREFIX) or <c>*</c>.</summary>
    public bool MayPull(string repository) => Pull.Any(grant =>
        grant == "*" || grant == repository || (grant.EndsWith("/*", StringComparison.Ordinal) && repository.StartsWith(grant[..^1], StringComparison.Ordinal)));
}

/// <summary>
/// The optional access file (<c>--access FILE</c>): Basic users and bearer tokens, each with per-repository pull grants.
/// <code>{ "users": [ { "name": "site", "password": "...", "pull": ["samples/*"] } ], "tokens": [ { "name": "ci", "token": "...", "pull": ["*"] } ] }</code>
/// Secrets are kept only as SHA-256 hashes in memory and compared in constant time; they are never logged. Users log in
/// with Basic (directly, or at the token endpoint for a session token); configured tokens are sent as Bearer.
/// </summary>
public sealed class ServeAccess
{
    private readonly List<(byte[] UserHash, byte[] PasswordHash, ServeClient Client)> _users = [];
    private readonly List<(byte[] TokenHash, ServeClient Client)> _tokens = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ServeClient Client, DateTimeOffset Expires)> _sessions = new();

    /// <summary>How long a token from the token endpoint lasts; clients ask again when it runs out.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromMinutes(5);

    public static ServeAccess Load(string path, IBuildLog log)
    {
        AccessFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllBytes(path), AccessFileJsonContext.Default.AccessFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new OciException(ErrorCodes.InvalidAccessFile, $"The access file '{path}' cannot be read: {ex.Message}");
        }
        if (file is null || (file.Users.Count == 0 && file.Tokens.Count == 0))
            throw new OciException(ErrorCodes.InvalidAccessFile, $"The access file '{path}' names no user and no token; without --access the server is open to anyone who can reach it.");
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.OtherRead | UnixFileMode.GroupRead)) != 0)
            log.Warning(ErrorCodes.AccessFileReadable, $"The access file '{path}' is readable by other users of this machine; it holds passwords and tokens (chmod 600 it).");
        var access = new ServeAccess();
        foreach (var user in file.Users)
        {
            if (string.IsNullOrEmpty(user.Name) || user.Name.Contains(':') || string.IsNullOrEmpty(user.Password))
                throw new OciException(ErrorCodes.InvalidAccessFile, $"A user in '{path}' needs a name (without ':') and a password.");
            access._users.Add((Hash(user.Name), Hash(user.Password), new ServeClient(user.Name, Grants(user.Pull, user.Name, path))));
        }
        foreach (var token in file.Tokens)
        {
            if (string.IsNullOrEmpty(token.Token) || token.Token.Length < 16)
                throw new OciException(ErrorCodes.InvalidAccessFile, $"Token '{token.Name}' in '{path}' is missing or shorter than 16 characters.");
            access._tokens.Add((Hash(token.Token), new ServeClient(token.Name ?? "token", Grants(token.Pull, token.Name ?? "token", path))));
        }
        return access;
    }

    /// <summary>The client an Authorization header proves, or null (absent, malformed or wrong: all look the same to the caller).</summary>
    public ServeClient? Authenticate(string? authorization)
    {
        if (authorization is null) return null;
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            }
            catch (FormatException)
            {
                return null;
            }
            var colon = decoded.IndexOf(':');
            if (colon < 0) return null;
            var (user, password) = (Hash(decoded[..colon]), Hash(decoded[(colon + 1)..]));
            ServeClient? found = null;
            foreach (var entry in _users) // every entry compared, in constant time: no timing hint of which part was wrong
                if (CryptographicOperations.FixedTimeEquals(entry.UserHash, user) & CryptographicOperations.FixedTimeEquals(entry.PasswordHash, password)) found = entry.Client;
            return found;
        }
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var text = authorization[7..].Trim();
            if (_sessions.TryGetValue(Convert.ToHexString(Hash(text)), out var session))
                return session.Expires > DateTimeOffset.UtcNow ? session.Client : null;
            var token = Hash(text);
            ServeClient? found = null;
            foreach (var entry in _tokens)
                if (CryptographicOperations.FixedTimeEquals(entry.TokenHash, token)) found = entry.Client;
            return found;
        }
        return null;
    }

    /// <summary>
    /// A short-lived bearer token for a client that proved itself (the token endpoint of the Docker token flow, which
    /// podman, skopeo and containerd follow after a Bearer challenge). Random, kept only as a hash, bound to the client's grants.
    /// </summary>
    public (string Token, TimeSpan Lifetime) IssueSession(ServeClient client)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var expired in _sessions.Where(s => s.Value.Expires <= now).Select(s => s.Key).ToList()) _sessions.TryRemove(expired, out _);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _sessions[Convert.ToHexString(Hash(token))] = (client, now + SessionLifetime);
        return (token, SessionLifetime);
    }

    private static IReadOnlyList<string> Grants(List<string>? pull, string who, string path)
    {
        if (pull is null || pull.Count == 0) throw new OciException(ErrorCodes.InvalidAccessFile, $"'{who}' in '{path}' has no pull grants: list repositories, PREFIX/* or *.");
        foreach (var grant in pull)
            if (grant != "*" && !ServedCatalog.IsRepositoryName(grant.EndsWith("/*", StringComparison.Ordinal) ? grant[..^2] : grant))
                throw new OciException(ErrorCodes.InvalidAccessFile, $"Pull grant '{grant}' of '{who}' in '{path}' is not a repository, PREFIX/* or *.");
        return pull;
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    internal sealed class AccessFile
    {
        public List<UserEntry> Users { get; set; } = [];
        public List<TokenEntry> Tokens { get; set; } = [];
    }

    internal sealed class UserEntry
    {
        public string? Name { get; set; }
        public string? Password { get; set; }
        public List<string>? Pull { get; set; }
    }

    internal sealed class TokenEntry
    {
        public string? Name { get; set; }
        public string? Token { get; set; }
        public List<string>? Pull { get; set; }
    }
}

/// <summary>Source-generated reader of the access file (no reflection: dotnet-oci is compiled to native code).</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ServeAccess.AccessFile))]
internal sealed partial class AccessFileJsonContext : JsonSerializerContext;
