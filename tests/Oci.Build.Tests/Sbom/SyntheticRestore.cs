using System.Security.Cryptography;
using System.Text;

namespace Oci.Build.Tests.Sbom;

/// <summary>
/// A restore's outputs as NuGet writes them, without running restore: project.assets.json (a package, a transitive
/// package, a project reference, for net10.0/linux-x64) and a packages folder with the packages' nuspec files.
/// </summary>
public static class SyntheticRestore
{
    public static readonly string LoggingSha512 = Convert.ToBase64String(SHA512.HashData("logging"u8));

    public static string Write(string directory)
    {
        var packages = Path.Combine(directory, "packages") + "/";
        Nuspec(packages, "Contoso.Logging", "2.1.0", """<license type="expression">MIT OR Apache-2.0</license>""");
        Nuspec(packages, "Contoso.Core", "1.0.3", """<licenseUrl>https://example.invalid/license</licenseUrl>""");
        var assets = Path.Combine(directory, "project.assets.json");
        File.WriteAllText(assets, $$"""
            {
              "version": 3,
              "targets": {
                "net10.0": {
                  "Contoso.Logging/2.1.0": { "type": "package" }
                },
                "net10.0/linux-x64": {
                  "Contoso.Logging/2.1.0": { "type": "package", "dependencies": { "Contoso.Core": "1.0.3" } },
                  "Contoso.Core/1.0.3": { "type": "package" },
                  "Inventory.Model/1.0.0": { "type": "project", "framework": ".NETCoreApp,Version=v10.0" }
                }
              },
              "libraries": {
                "Contoso.Logging/2.1.0": { "sha512": "{{LoggingSha512}}", "type": "package", "path": "contoso.logging/2.1.0" },
                "Contoso.Core/1.0.3": { "sha512": "{{Convert.ToBase64String(SHA512.HashData("core"u8))}}", "type": "package", "path": "contoso.core/1.0.3" },
                "Inventory.Model/1.0.0": { "type": "project", "path": "../Inventory.Model/Inventory.Model.csproj", "msbuildProject": "../Inventory.Model/Inventory.Model.csproj" }
              },
              "packageFolders": { "{{packages}}": {} },
              "project": { "version": "1.0.0" }
            }
            """);
        return assets;
    }

    private static void Nuspec(string packages, string id, string version, string license)
    {
        var folder = Path.Combine(packages, id.ToLowerInvariant(), version);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, id.ToLowerInvariant() + ".nuspec"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{id}</id>
                <version>{version}</version>
                <authors>Contoso</authors>
                {license}
                <description>test package</description>
              </metadata>
            </package>
            """, Encoding.UTF8);
    }
}
