using System.Formats.Tar;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Versioning;
using Oci.Build.Archives;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Archives;

/// <summary>
/// The tool package a thick archive carries (ContainerArchiveIncludeTool, issue 9): checked when the archive is written
/// (a missing file, a file that is not a package, a package that is not a .NET tool are refused before anything is
/// written), listed in checksums.sha256, and named with its own codes when it is damaged or missing at the site. The
/// real package installed offline from the release's archive: ReleaseBundleTests.
/// </summary>
public sealed class ToolPackageTests(SmallThickArchive small) : IClassFixture<SmallThickArchive>
{
    /// <summary>A small package built with NuGet.Packaging: a .NET tool (DotnetTool package type) unless <paramref name="tool"/> is false.</summary>
    private static string Package(string folder, string id, bool tool = true)
    {
        var builder = new PackageBuilder { Id = id, Version = NuGetVersion.Parse("1.0.0"), Description = "test", Authors = { "test" } };
        if (tool) builder.PackageTypes.Add(PackageType.DotnetTool);
        var settings = Path.Combine(folder, $"{id}-DotnetToolSettings.xml");
        File.WriteAllText(settings, """<DotNetCliTool Version="1"><Commands><Command Name="t" EntryPoint="t.dll" Runner="dotnet" /></Commands></DotNetCliTool>""");
        builder.AddFiles(folder, Path.GetFileName(settings), "tools/net10.0/any/DotnetToolSettings.xml");
        var path = Path.Combine(folder, $"{id}.input.nupkg");
        using (var file = File.Create(path)) builder.Save(file);
        return path;
    }

    [Fact]
    public void A_carried_tool_package_is_named_id_version_listed_in_the_checksums_and_a_flipped_byte_is_named_as_the_tool()
    {
        using var temp = new TempDirectory("tool-package");
        var package = Package(temp.Path, "Oci.Build.Cli");
        var archive = small.Write("with-tool.cnab.tar", tools: [package]);
        var verified = ThickArchiveVerifier.Verify(archive);
        Assert.True(verified.IsValid, string.Join("\n", verified.Problems));
        using (var source = Graph.ArchiveSource.Open(archive))
            Assert.Contains(" ./tools/Oci.Build.Cli.1.0.0.nupkg\n", System.Text.Encoding.UTF8.GetString(source.Members.TryReadDocument(ThickArchive.ChecksumFile, ErrorCodes.InvalidThickArchive)!));

        var bytes = File.ReadAllBytes(archive);
        var at = bytes.AsSpan().IndexOf(File.ReadAllBytes(package).AsSpan());
        bytes[at + 100] ^= 0x01;
        File.WriteAllBytes(archive, bytes);
        var damaged = ThickArchiveVerifier.Verify(archive);
        var problem = Assert.Single(damaged.Problems);
        Assert.Equal(ErrorCodes.ToolPackageDamaged, problem.Code);
        Assert.Contains("tools/Oci.Build.Cli.1.0.0.nupkg", problem.Message);
    }

    [Fact]
    public void A_tool_package_listed_in_the_checksums_but_absent_from_the_archive_is_named_as_missing()
    {
        using var temp = new TempDirectory("tool-missing");
        var archive = small.Write("tool-dropped.cnab.tar", tools: [Package(temp.Path, "Oci.Build.Cli")]);
        var dropped = temp.Combine("dropped.cnab.tar");
        using (var input = File.OpenRead(archive))
        using (var reader = new TarReader(input))
        using (var output = File.Create(dropped))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
                if (!entry.Name.StartsWith("./tools/", StringComparison.Ordinal)) writer.WriteEntry(entry);
        }
        var problem = Assert.Single(ThickArchiveVerifier.Verify(dropped).Problems);
        Assert.Equal(ErrorCodes.ToolPackageMissing, problem.Code);
        Assert.Contains("tools/Oci.Build.Cli.1.0.0.nupkg", problem.Message);
    }

    [Fact]
    public void A_missing_file_a_non_package_and_a_package_that_is_no_tool_are_refused_before_anything_is_written()
    {
        using var temp = new TempDirectory("tool-bad");
        var notAPackage = temp.Combine("Oci.Build.Cli.1.0.0.nupkg");
        File.WriteAllBytes(notAPackage, System.Security.Cryptography.RandomNumberGenerator.GetBytes(1000));
        var cases = new[]
        {
            (temp.Combine("absent.nupkg"), ErrorCodes.ToolPackageMissing),
            (notAPackage, ErrorCodes.ToolPackageDamaged),
            (Package(temp.Path, "Some.Library", tool: false), ErrorCodes.ToolPackageDamaged),
        };
        foreach (var (path, code) in cases)
        {
            var name = $"refused-{code}-{Path.GetFileNameWithoutExtension(path)}.cnab.tar";
            var error = Assert.Throws<OciException>(() => small.Write(name, tools: [path]));
            Assert.Equal(code, error.Code);
            Assert.Contains(path, error.Message);
            Assert.False(File.Exists(small.Combine("out", name)));
        }
    }

    [Fact]
    public void ContainerArchiveIncludeTool_carries_the_packages_own_tool_package_and_fails_with_OCI5058_when_it_is_absent()
    {
        const string project = """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>
            </Project>
            """;
        using var temp = new TempDirectory("tool-eval");
        var packageTool = Directory.CreateDirectory(temp.Combine("tool")).FullName + "/";
        File.Copy(Package(temp.Path, "Oci.Build.Cli"), Path.Combine(packageTool, "Oci.Build.Cli.2.0.0.nupkg"));
        // As the Oci.Build.Sdk package is used: its tool/ folder, no packing from source.
        var asPackage = new Dictionary<string, string> { ["ContainerArchiveIncludeTool"] = "true", ["OciResolveArchiveToolDependsOn"] = "", ["OciBuildToolPackageDirectory"] = packageTool };
        using (var evaluated = new EvaluatedProject(project, asPackage, target: "OciResolveArchiveTool"))
        {
            Assert.True(evaluated.Succeeded, evaluated.Output);
            Assert.Equal([Path.Combine(packageTool, "Oci.Build.Cli.2.0.0.nupkg")], evaluated.Items("ContainerArchiveToolPackage"));
        }
        asPackage["OciBuildToolPackageDirectory"] = temp.Combine("empty") + "/";
        using (var evaluated = new EvaluatedProject(project, asPackage, target: "OciResolveArchiveTool"))
        {
            Assert.False(evaluated.Succeeded);
            Assert.Contains("error OCI5058", evaluated.Output);
        }
    }
}
