namespace Oci.Build.Registry.Auth;

/// <summary>
/// The .NET SDK's variables: <c>DOTNET_CONTAINER_REGISTRY_UNAME/PWORD</c> and the <c>DOTNET_CONTAINER_PUSH_REGISTRY_*</c> /
/// <c>DOTNET_CONTAINER_PULL_REGISTRY_*</c> variants. They name no host, so they are bound to exactly one: the push
/// variant (or the generic one) to the push registry, the pull variant to the base image's registry (the generic one
/// too when nothing is pushed, or the base lives on the push registry). Any other host, a mirror or a delegate
/// included, never sees them. User <c>&lt;token&gt;</c> means the password is a bearer token.
/// </summary>
public sealed class EnvironmentCredentialSource : ICredentialSource
{
    public const string UserVariable = "DOTNET_CONTAINER_REGISTRY_UNAME";
    public const string PasswordVariable = "DOTNET_CONTAINER_REGISTRY_PWORD";
    public const string PushUserVariable = "DOTNET_CONTAINER_PUSH_REGISTRY_UNAME";
    public const string PushPasswordVariable = "DOTNET_CONTAINER_PUSH_REGISTRY_PWORD";
    public const string PullUserVariable = "DOTNET_CONTAINER_PULL_REGISTRY_UNAME";
    public const string PullPasswordVariable = "DOTNET_CONTAINER_PULL_REGISTRY_PWORD";

    private readonly Func<string, string?> _environment;
    private readonly string? _pushHost;
    private readonly string? _pullHost;

    /// <param name="pushHost">The registry an image is pushed to (null when nothing is pushed).</param>
    /// <param name="pullHost">The registry the base image is pulled from (its resolved location, not a mirror).</param>
    public EnvironmentCredentialSource(Func<string, string?> environment, string? pushHost, string? pullHost)
    {
        _environment = environment;
        _pushHost = pushHost;
        _pullHost = pullHost;
    }

    public RegistryCredential? Find(string host)
    {
        if (_pushHost is not null && string.Equals(host, _pushHost, StringComparison.OrdinalIgnoreCase))
            return Read(PushUserVariable, PushPasswordVariable) ?? Read(UserVariable, PasswordVariable);
        if (_pullHost is not null && string.Equals(host, _pullHost, StringComparison.OrdinalIgnoreCase))
            return Read(PullUserVariable, PullPasswordVariable) ?? (_pushHost is null ? Read(UserVariable, PasswordVariable) : null);
        return null;
    }

    private RegistryCredential? Read(string userVariable, string passwordVariable)
    {
        var user = _environment(userVariable);
        var password = _environment(passwordVariable);
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password)) return null;
        return RegistryCredential.FromUserAndSecret(user, password, $"{userVariable}/{passwordVariable}", tokenIsBearer: true);
    }
}
