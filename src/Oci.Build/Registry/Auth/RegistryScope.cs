namespace Oci.Build.Registry.Auth;

/// <summary>A token scope, <c>repository:NAME:ACTIONS</c>. The order of a scope list matters: some registries read only the first.</summary>
public sealed record RegistryScope(string Repository, string Actions)
{
    public static RegistryScope Pull(string repository) => new(repository, "pull");

    public static RegistryScope PushPull(string repository) => new(repository, "push,pull");

    public override string ToString() => $"repository:{Repository}:{Actions}";

    public static string Key(IEnumerable<RegistryScope> scopes) => string.Join(" ", scopes);
}
