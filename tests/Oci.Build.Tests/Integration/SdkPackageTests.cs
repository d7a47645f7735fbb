using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Integration;

/// <summary>The packed SDK, used the way users use it: from a NuGet feed, with its task dependencies beside the task assembly.</summary>
[Collection("Publish")]
public sealed class SdkPackageTests
{
    [Fact]
    public void A_project_using_the_packed_sdk_publishes_an_image_and_loads_the_tasks_dependencies()
    {
        using var temp = new TempDirectory("package");
        var version = $"1.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var feed = temp.Combine("feed");
        ProcessRunner.Run("dotnet", ["pack", Path.Combine(RepoPaths.Root, "src", "Oci.Build.Sdk"), "-c", "Release", "-o", feed, $"-p:Version={version}", "-nodeReuse:false"])
            .EnsureSuccess("dotnet pack Oci.Build.Sdk");
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
        }
        finally
        {
            // The test version must not linger in the machine's package cache.
            var cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "oci.build.sdk", version);
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        }
    }
}
