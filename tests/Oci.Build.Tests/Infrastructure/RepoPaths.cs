namespace Oci.Build.Tests.Infrastructure;

/// <summary>Where things are in this repository and beside it (the shared/ folder with specs and schemas).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Samples => Path.Combine(Root, "samples");

    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string OciSchemas => Path.Combine(Shared, "schemas", "oci-image-spec");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Oci.Build.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException("Oci.Build.sln not found above the test assembly.");
    }
}
