using NuGet.Packaging;
using NuGet.Packaging.Core;
using Oci.Build.Oci;

namespace Oci.Build.Archives;

/// <summary>
/// A .NET tool package (.nupkg) a thick archive carries under <c>tools/</c>, so a site with only the .NET SDK installs
/// <c>dotnet oci</c> from the archive itself (docs/air-gap.md). Read with NuGet.Packaging, the reader <c>dotnet tool
/// install</c> itself uses: a file that is not a package, or a package that is not a tool, is refused when the archive
/// is written, not discovered by the site when it tries to install it.
/// </summary>
public sealed record ToolPackage(string Path, string Id, string Version)
{
    private const string RidPackageType = "DotnetToolRidPackage";

    /// <summary>The package's name in the archive: <c>ID.VERSION.nupkg</c> (a local feed's convention).</summary>
    public string ArchiveName => $"{Id}.{Version}.nupkg";

    /// <summary>The tool package at <paramref name="path"/>: OCI5058 when there is no such file, OCI5059 when it is not a .NET tool package.</summary>
    public static ToolPackage Read(string path)
    {
        if (!File.Exists(path))
            throw new OciException(ErrorCodes.ToolPackageMissing,
                $"The tool package '{path}' to carry in the archive does not exist. With ContainerArchiveIncludeTool=true the Oci.Build.Sdk package " +
                "brings it (tool/Oci.Build.Cli.*.nupkg); restore the SDK package again, or name an existing .nupkg with ContainerArchiveToolPackage.");
        try
        {
            using var reader = new PackageArchiveReader(path);
            var nuspec = reader.NuspecReader;
            var identity = nuspec.GetIdentity();
            // A tool packed per platform (.NET 10) is a DotnetTool pointer package and one DotnetToolRidPackage per platform.
            if (!reader.GetPackageTypes().Any(t => t == PackageType.DotnetTool || t.Name == RidPackageType))
                throw Damaged(path, $"it is the package {identity.Id} {identity.Version}, not a .NET tool package (no DotnetTool package type)");
            // Both go into a tar name (ThickArchive.CheckName allows letters, digits, '.', '-' and '_').
            var version = identity.Version.ToNormalizedString();
            if (!$"{identity.Id}.{version}".All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
                throw Damaged(path, $"its id and version '{identity.Id} {version}' hold characters a package file name may not");
            return new ToolPackage(System.IO.Path.GetFullPath(path), identity.Id, version);
        }
        catch (Exception ex) when (ex is InvalidDataException or PackagingException or IOException or System.Xml.XmlException or ArgumentException or InvalidOperationException)
        {
            throw Damaged(path, ex.Message, ex);
        }
    }

    private static OciException Damaged(string path, string why, Exception? inner = null) =>
        new(ErrorCodes.ToolPackageDamaged, $"The tool package '{path}' cannot be carried in the archive: {why}. Pack it again (dotnet pack src/Oci.Build.Cli) or restore the Oci.Build.Sdk package again.", inner);
}
