using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Oci.Build.Oci;

namespace Oci.Build.Sbom;

/// <summary>
/// The NuGet packages and project references of one target of a restored project, from <c>obj/project.assets.json</c>
/// (NuGet's own record of what restore resolved: every transitive package with its version and SHA-512), with each
/// package's declared license from its .nuspec in the packages folder.
/// </summary>
public static class AssetsFile
{
    private const long MaxAssetsSize = 256L * 1024 * 1024;

    /// <param name="target">The assets target: <c>net10.0</c> or <c>net10.0/linux-x64</c> (the one with the runtime identifier is used when present).</param>
    public static IReadOnlyList<SbomComponent> Read(string path, string targetFramework, string? runtimeIdentifier)
    {
        JsonDocument document;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                throw new OciException(ErrorCodes.SbomUnavailable, $"The SBOM needs the restore's assets file {path}, which does not exist; restore the project first.");
            if (info.Length > MaxAssetsSize)
                throw new OciException(ErrorCodes.SbomUnavailable, $"The assets file {path} is {info.Length} bytes; refusing to read it.");
            using var stream = File.OpenRead(path);
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new OciException(ErrorCodes.SbomUnavailable, $"The assets file {path} cannot be read for the SBOM: {ex.Message}", ex);
        }
        using (document)
        {
            try
            {
                return Components(document.RootElement, path, targetFramework, runtimeIdentifier);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new OciException(ErrorCodes.SbomUnavailable, $"The assets file {path} is not what NuGet restore writes ({ex.Message}); restore the project again.", ex);
            }
        }
    }

    private static List<SbomComponent> Components(JsonElement root, string path, string targetFramework, string? runtimeIdentifier)
    {
        var targets = root.GetProperty("targets");
        var target = Target(targets, targetFramework, runtimeIdentifier)
            ?? throw new OciException(ErrorCodes.SbomUnavailable,
                $"The assets file {path} has no target '{targetFramework}{(runtimeIdentifier is null ? "" : "/" + runtimeIdentifier)}' " +
                $"(it has: {string.Join(", ", targets.EnumerateObject().Select(t => t.Name))}); restore the project for the runtime identifier being published.");
        var libraries = root.GetProperty("libraries");
        var folders = root.TryGetProperty("packageFolders", out var f) ? f.EnumerateObject().Select(p => p.Name).ToList() : [];
        var components = new List<SbomComponent>();
        foreach (var entry in target.EnumerateObject())
        {
            var slash = entry.Name.IndexOf('/');
            if (slash <= 0) continue;
            var (name, version) = (entry.Name[..slash], entry.Name[(slash + 1)..]);
            var type = entry.Value.TryGetProperty("type", out var t) ? t.GetString() : null;
            var library = libraries.TryGetProperty(entry.Name, out var l) ? l : default;
            if (type == "project")
            {
                components.Add(new SbomComponent(name, version, ComponentKind.Project));
            }
            else if (type == "package")
            {
                var sha512 = library.ValueKind == JsonValueKind.Object && library.TryGetProperty("sha512", out var s) && s.GetString() is { } base64
                    ? Convert.ToHexStringLower(Convert.FromBase64String(base64))
                    : null;
                var packagePath = library.ValueKind == JsonValueKind.Object && library.TryGetProperty("path", out var p) ? p.GetString() : null;
                components.Add(new SbomComponent(name, version, ComponentKind.Package, License(folders, packagePath, name), sha512));
            }
        }
        return components.OrderBy(c => c.Kind).ThenBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Version, StringComparer.Ordinal).ToList();
    }

    private static JsonElement? Target(JsonElement targets, string targetFramework, string? runtimeIdentifier)
    {
        JsonElement? plain = null;
        foreach (var target in targets.EnumerateObject())
        {
            // Assets targets are named by the framework's long or short name (".NETCoreApp,Version=v10.0" or "net10.0").
            var parts = target.Name.Split('/');
            if (!SameFramework(parts[0], targetFramework)) continue;
            if (parts.Length == 2 && runtimeIdentifier is not null && parts[1] == runtimeIdentifier) return target.Value;
            if (parts.Length == 1) plain = target.Value;
        }
        return plain;
    }

    private static bool SameFramework(string assetsName, string targetFramework)
    {
        if (string.Equals(assetsName, targetFramework, StringComparison.OrdinalIgnoreCase)) return true;
        // ".NETCoreApp,Version=v10.0" is net10.0.
        const string prefix = ".NETCoreApp,Version=v";
        return assetsName.StartsWith(prefix, StringComparison.Ordinal) && string.Equals("net" + assetsName[prefix.Length..], targetFramework, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The nuspec's <c>&lt;license type="expression"&gt;</c>. One element of a small XML file: read with System.Xml.Linq
    /// rather than NuGet.Packaging, which the task assembly would have to ship beside the copy MSBuild already loads.
    /// </summary>
    private static string? License(IReadOnlyList<string> folders, string? packagePath, string id)
    {
        if (packagePath is null) return null;
        foreach (var folder in folders)
        {
            var nuspec = Path.Combine(folder, packagePath, id.ToLowerInvariant() + ".nuspec");
            if (!File.Exists(nuspec)) continue;
            try
            {
                using var reader = XmlReader.Create(nuspec, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 4 * 1024 * 1024 });
                var license = XDocument.Load(reader).Descendants().FirstOrDefault(e => e.Name.LocalName == "license");
                return license is not null && (string?)license.Attribute("type") == "expression" && license.Value.Trim() is { Length: > 0 } expression ? expression : null;
            }
            catch (Exception ex) when (ex is XmlException or IOException or UnauthorizedAccessException)
            {
                return null; // a package whose nuspec cannot be read has no declared license: NOASSERTION
            }
        }
        return null;
    }
}
