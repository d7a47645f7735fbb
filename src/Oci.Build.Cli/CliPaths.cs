namespace Oci.Build.Cli;

public static class CliPaths
{
    /// <summary>The cache builds use (<c>OCI_BUILD_CACHE</c>, else the XDG cache): it holds the delegation answers.</summary>
    public static string CacheDirectory() =>
        Environment.GetEnvironmentVariable("OCI_BUILD_CACHE") is { Length: > 0 } cache ? cache
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "oci-build");
}
