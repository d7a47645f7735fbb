namespace Oci.Build.Tests.Infrastructure;

/// <summary>Where things are in this repository. Nothing outside it is read: a clone alone builds and passes.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Samples => Path.Combine(Root, "samples");

    /// <summary>The OCI image-spec JSON schemas (Apache-2.0, copied with their license from opencontainers/image-spec).</summary>
    public static string OciSchemas => Path.Combine(Root, "schemas", "oci-image-spec");

    /// <summary>The CNAB JSON schemas (copied with their license from cnabio/cnab-spec).</summary>
    public static string CnabSchemas => Path.Combine(Root, "schemas", "cnab");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Oci.Build.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException("Oci.Build.sln not found above the test assembly.");
    }
}
