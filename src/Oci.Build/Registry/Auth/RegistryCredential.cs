namespace Oci.Build.Registry.Auth;

/// <summary>
/// A secret for one registry host: a user name and password, an identity (refresh) token, or a ready bearer token.
/// <see cref="ToString"/> never shows the secret, so a credential logged or formatted by mistake leaks nothing.
/// </summary>
public sealed class RegistryCredential
{
    private RegistryCredential(string? username, string? password, string? identityToken, string? registryToken, string origin)
    {
        Username = username;
        Password = password;
        IdentityToken = identityToken;
        RegistryToken = registryToken;
        Origin = origin;
    }

    public string? Username { get; }
    public string? Password { get; }
    /// <summary>An OAuth2 refresh token: exchanged at the token endpoint with <c>grant_type=refresh_token</c>.</summary>
    public string? IdentityToken { get; }
    /// <summary>A bearer token used as is (the .NET SDK's user name <c>&lt;token&gt;</c>).</summary>
    public string? RegistryToken { get; }
    /// <summary>Where it came from, for messages: e.g. <c>DOTNET_CONTAINER_REGISTRY_UNAME</c> or <c>~/.docker/config.json</c>.</summary>
    public string Origin { get; }

    public bool HasBasic => Username is not null && Password is not null;

    public static RegistryCredential Basic(string username, string password, string origin) => new(username, password, null, null, origin);

    public static RegistryCredential Identity(string? username, string identityToken, string origin) => new(username, null, identityToken, null, origin);

    public static RegistryCredential Token(string token, string origin) => new(null, null, null, token, origin);

    /// <summary>Reads the docker convention: user <c>&lt;token&gt;</c> means the secret is an identity token.</summary>
    public static RegistryCredential FromUserAndSecret(string username, string secret, string origin, bool tokenIsBearer = false) =>
        username == "<token>"
            ? (tokenIsBearer ? Token(secret, origin) : Identity(null, secret, origin))
            : Basic(username, secret, origin);

    public string BasicHeaderValue() =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Username}:{Password}"));

    public override string ToString() => $"credential from {Origin}{(Username is null ? "" : $" (user {Username})")}";
}
