using Oci.Build.Store;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Tests.MultiPlatform;

/// <summary>
/// A multi-platform base as an OCI layout (an image index tagged <see cref="Tag"/>) with linux/amd64 and linux/arm64/v8
/// images, built with the engine. Both start with the same layer (/etc/passwd with the app user, /tmp), as images of one
/// distribution share content across architectures; the amd64 image adds this machine's loader and libraries, so an
/// amd64 app on it really runs; the arm64 image holds a marker file only (nothing arm64 runs here).
/// </summary>
public static class TwoPlatformBaseLayout
{
    public const string Tag = "10.0";

    /// <summary>Writes the base index to <paramref name="layoutPath"/> and returns the digest of the layer both platforms share.</summary>
    public static Digest Build(string workDirectory, string layoutPath, string cacheDirectory)
    {
        var files = Directory.CreateDirectory(Path.Combine(workDirectory, "base-files")).FullName;
        File.WriteAllText(Path.Combine(files, "passwd"), "root:x:0:0:root:/root:/sbin/nologin\napp:x:1654:1654:app:/home/app:/sbin/nologin\n");
        File.WriteAllText(Path.Combine(files, "group"), "root:x:0:\napp:x:1654:\n");
        File.WriteAllText(Path.Combine(files, "arm64-marker"), "an arm64 base would hold arm64 libraries here\n");

        var created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var builder = new LayerBuilder(new ContentStore(cacheDirectory), LayerCompression.Gzip, new TarSettings(created.ToUnixTimeSeconds()));
        var shared = builder.Build(new LayerSpec("etc",
        [
            LayerEntry.FromFile("etc/passwd", Path.Combine(files, "passwd")),
            LayerEntry.FromFile("etc/group", Path.Combine(files, "group")),
            new LayerEntry { Path = "tmp", Kind = LayerEntryKind.Directory, Mode = Convert.ToInt32("1777", 8) },
            new LayerEntry { Path = "home/app", Kind = LayerEntryKind.Directory },
        ]));
        const string libDir = "/lib/x86_64-linux-gnu";
        var libraries = new[] { "libc.so.6", "libdl.so.2", "libm.so.6", "libpthread.so.0", "librt.so.1", "libgcc_s.so.1", "libstdc++.so.6", "libssl.so.3", "libcrypto.so.3", "libz.so.1" }
            .Where(l => File.Exists(Path.Combine(libDir, l)))
            .Select(l => LayerEntry.FromFile($"{libDir.TrimStart('/')}/{l}", RealPath(Path.Combine(libDir, l))))
            .Append(LayerEntry.FromFile("lib64/ld-linux-x86-64.so.2", RealPath("/lib64/ld-linux-x86-64.so.2")))
            .ToList();
        var amd64Libraries = builder.Build(new LayerSpec("libs", libraries));
        var arm64Libraries = builder.Build(new LayerSpec("libs", [LayerEntry.FromFile("usr/share/arm64-marker", Path.Combine(files, "arm64-marker"))]));

        var images = new List<PlatformImage>();
        foreach (var (rid, libs) in new[] { ("linux-x64", amd64Libraries), ("linux-arm64", arm64Libraries) })
        {
            var single = Path.Combine(workDirectory, $"base-{rid}");
            using var scratch = BaseImage.Scratch();
            ImageBuilder.Build(scratch, [shared, libs], new ImageSettings
            {
                Repository = "dotnet/runtime-deps",
                Tags = [Tag],
                Platform = Platform.FromRuntimeIdentifier(rid),
                Created = created,
                Environment = [new("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), new("APP_UID", "1654")],
            }, single);
            images.Add(new PlatformImage(rid, single));
        }
        PlatformIndexBuilder.Build("dotnet/runtime-deps", [Tag], images, layoutPath);
        return shared.Descriptor.Digest;
    }

    private static string RealPath(string path) => File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
}
