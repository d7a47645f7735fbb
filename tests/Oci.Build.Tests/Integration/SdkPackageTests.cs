using System.IO.Compression;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Oci.Build.Archives;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Integration;

/// <summary>The packed SDK, used the way users use it: from a NuGet feed, with its task dependencies beside the task assembly.</summary>
[Collection("Release publishes")]
public sealed class SdkPackageTests
{
    [Fact]
    public void A_project_using_the_packed_sdk_publishes_an_image_and_loads_the_tasks_dependencies()
    {
        using var temp = new TempDirectory("package");
        var version = $"1.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var feed = temp.Combine("feed");
        // Its own artifacts folder: the repository's bin/Release holds the task assembly other tests' publishes load right
        // now, which a build with another version would rewrite under them.
        ProcessRunner.Run("dotnet", ["pack", Path.Combine(RepoPaths.Root, "src", "Oci.Build.Sdk"), "-c", "Release", "-o", feed, $"-p:Version={version}", "-nodeReuse:false",
                "--artifacts-path", temp.Combine("artifacts")],
                // The pack builds the engine, the tasks and the tool (packed inside it): as long as a publish on a busy machine.
                timeout: TimeSpan.FromMinutes(8))
            .EnsureSuccess("dotnet pack Oci.Build.Sdk");
        // ContainerArchiveIncludeTool carries the tool package the SDK package brings: dotnet-oci of the same version.
        using (var sdkPackage = ZipFile.OpenRead(Path.Combine(feed, $"Oci.Build.Sdk.{version}.nupkg")))
        {
            var entry = sdkPackage.GetEntry($"tool/Oci.Build.Cli.{version}.nupkg");
            Assert.NotNull(entry);
            entry.ExtractToFile(temp.Combine("tool.nupkg"));
            var tool = ToolPackage.Read(temp.Combine("tool.nupkg"));
            Assert.Equal(("Oci.Build.Cli", version), (tool.Id, tool.Version));
            // The tool per platform beside its pointer package: linux-x64 compiled to native code, any other portable IL.
            foreach (var rid in new[] { "linux-x64", "any" })
            {
                var ridEntry = sdkPackage.GetEntry($"tool/Oci.Build.Cli.{rid}.{version}.nupkg");
                Assert.NotNull(ridEntry);
                ridEntry.ExtractToFile(temp.Combine($"tool-{rid}.nupkg"));
                var ridTool = ToolPackage.Read(temp.Combine($"tool-{rid}.nupkg"));
                Assert.Equal(($"Oci.Build.Cli.{rid}", version), (ridTool.Id, ridTool.Version));
                using var ridPackage = ZipFile.OpenRead(temp.Combine($"tool-{rid}.nupkg"));
                if (rid == "linux-x64")
                {
                    // One ELF program (Native AOT), without assemblies, symbols or the engine's .pdb.
                    Assert.Equal(["DotnetToolSettings.xml", "Oci.Build.Cli"],
                        ridPackage.Entries.Where(e => e.FullName.StartsWith("tools/", StringComparison.Ordinal)).Select(e => e.Name).Order(StringComparer.Ordinal));
                    using var program = ridPackage.GetEntry("tools/any/linux-x64/Oci.Build.Cli")!.Open();
                    var magic = new byte[4];
                    program.ReadExactly(magic);
                    Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, magic);
                }
                else
                    Assert.False(IsReadyToRun(ridPackage, $"tools/net10.0/{rid}/Oci.Build.dll"));
            }
            // The portable tasks, and the same tasks compiled ahead of time for linux-x64 in a folder of their own.
            foreach (var assembly in new[] { "Oci.Build.dll", "Oci.Build.Tasks.dll" })
            {
                Assert.False(IsReadyToRun(sdkPackage, $"tasks/net10.0/{assembly}"), $"tasks/net10.0/{assembly} is portable IL");
                Assert.True(IsReadyToRun(sdkPackage, $"tasks/net10.0-linux-x64/{assembly}"), $"tasks/net10.0-linux-x64/{assembly} is ReadyToRun");
            }
        }
        try
        {
            var project = temp.Combine("app");
            Directory.CreateDirectory(project);
            File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
                <configuration><packageSources><add key="local" value="{feed}" /></packageSources></configuration>
                """);
            File.WriteAllText(Path.Combine(project, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <Sdk Name="Oci.Build.Sdk" Version="{version}" />
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ContainerRepository>contoso/console</ContainerRepository>
                    <ContainerLayerCompression>zstd</ContainerLayerCompression>
                    <!-- Explicitly empty: without it the .NET SDK's rules would pick mcr.microsoft.com/dotnet/runtime (no network here). -->
                    <ContainerBaseImage>scratch</ContainerBaseImage>
                  </PropertyGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(project, "Program.cs"), "System.Console.WriteLine(\"hi\");");

            var publish = ProcessRunner.Run("dotnet", ["publish", "-c", "Release", "-nodeReuse:false"], project,
                new Dictionary<string, string?> { ["OCI_BUILD_CACHE"] = temp.Combine("cache"), ["MSBUILDDISABLENODEREUSE"] = "1" });
            publish.EnsureSuccess("dotnet publish with the packed SDK");
            // Framework-dependent on scratch: nothing in the image can start it, and the build says so.
            Assert.Contains("warning OCI1012", publish.Output);

            var layoutPath = Path.Combine(project, "bin", "Release", "net10.0", "oci-layout");
            var layout = OciLayout.Open(layoutPath);
            var manifest = OciJson.Deserialize<ImageManifest>(File.ReadAllBytes(layout.BlobPath(layout.FindManifest("latest").Digest)), "manifest");
            Assert.All(manifest.Layers, l => Assert.Equal(MediaTypes.OciLayerZstd, l.MediaType)); // ZstdSharp loaded from beside the tasks
            var config = JsonNode.Parse(File.ReadAllBytes(layout.BlobPath(manifest.Config.Digest)))!;
            Assert.Equal(["dotnet", "/app/app.dll"], config["config"]!["Entrypoint"]!.AsArray().Select(n => n!.GetValue<string>()));
            ProcessRunner.Run("skopeo", "inspect", $"oci:{layoutPath}:latest").EnsureSuccess("skopeo inspect");

            // The build loaded the tasks compiled for this machine's platform when the package has them.
            var tasks = ProcessRunner.Run("dotnet", ["msbuild", "-getProperty:OciBuildTasksAssembly", "-nodeReuse:false"], project).EnsureSuccess("dotnet msbuild -getProperty");
            var expected = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64 ? "net10.0-linux-x64" : "net10.0";
            Assert.Equal(expected, Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(tasks.StandardOutput.Trim()))));
        }
        finally
        {
            // The test version must not linger in the machine's package cache.
            var cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "oci.build.sdk", version);
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        }
    }

    /// <summary>Whether a packed assembly carries ahead-of-time compiled code (a ReadyToRun header), not only IL.</summary>
    private static bool IsReadyToRun(ZipArchive package, string path)
    {
        var entry = package.GetEntry(path) ?? throw new Xunit.Sdk.XunitException($"{path} is not in the package");
        using var content = new MemoryStream();
        using (var stream = entry.Open()) stream.CopyTo(content);
        content.Position = 0;
        using var pe = new PEReader(content);
        return pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0;
    }
}
