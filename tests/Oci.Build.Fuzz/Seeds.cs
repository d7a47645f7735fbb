using System.Text;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Fuzz;

/// <summary>
/// A few valid inputs per target, for AFL++ to mutate from. Generated here rather than kept as files, so the archive
/// seed is a real archive of today's writer.
/// </summary>
public static class Seeds
{
    public static IEnumerable<(string Target, string Name, byte[] Content)> All()
    {
        var number = 0;
        foreach (var text in new[]
                 {
                     "mcr.microsoft.com/dotnet/runtime-deps:10.0", "localhost:5000/team/app@sha256:" + new string('a', 64),
                     "oci:layout:v1", "docker://registry.example/a/b:c", "registry.example:443/prefix",
                 })
            yield return ("reference", $"reference-{number++}", Encoding.UTF8.GetBytes(text));

        var (manifest, index) = TinyImage(out var archive);
        yield return ("documents", "manifest", manifest);
        yield return ("documents", "index", index);
        yield return ("documents", "bundle", Encoding.UTF8.GetBytes(
            "{\"schemaVersion\":\"1.2.0\",\"name\":\"r\",\"version\":\"1.0.0\",\"invocationImages\":[{\"imageType\":\"oci\",\"image\":\"r/i@sha256:" +
            new string('b', 64) + "\"}],\"images\":{\"app\":{\"imageType\":\"oci\",\"image\":\"r/app:1\",\"contentDigest\":\"sha256:" + new string('c', 64) + "\"}}}"));
        yield return ("documents", "layer-options", Encoding.UTF8.GetBytes("{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"hmac\":\"AAAA\",\"cipheroptions\":{}}"));
        yield return ("archive", "oci-archive", archive);

        // BER: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.2.840.113549.1.7.3 }, [0] indefinite length { OCTET STRING } }
        yield return ("ber", "enveloped", [0x30, 0x80, 0x02, 0x01, 0x00, 0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03,
            0xA0, 0x80, 0x04, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00]);
        yield return ("registries-conf", "mirrors", Encoding.UTF8.GetBytes(
            "unqualified-search-registries = [\"registry.example\"]\n[[registry]]\nprefix = \"docker.io\"\nlocation = \"mirror.example/hub\"\n" +
            "blocked = false\ninsecure = false\n[[registry.mirror]]\nlocation = \"m2.example\"\npull-from-mirror = \"digest-only\"\n[aliases]\n\"app\" = \"registry.example/team/app\"\n"));
        yield return ("hosts-toml", "mirror", Encoding.UTF8.GetBytes(
            "server = \"https://registry.example\"\n[host.\"https://mirror.internal\"]\n  capabilities = [\"pull\", \"resolve\"]\n  skip_verify = false\n" +
            "  [host.\"https://mirror.internal\".header]\n    x-team = [\"a\"]\n"));
        yield return ("delegation", "one", Encoding.UTF8.GetBytes(
            "{\"delegations\":[{\"prefix\":\"example.com/team\",\"location\":\"registry.example.net/team\",\"push\":true}]}"));
    }

    /// <summary>An image of one small layer, as a layout's manifest and index and as an OCI archive of it.</summary>
    private static (byte[] Manifest, byte[] Index) TinyImage(out byte[] archive)
    {
        var scratch = Directory.CreateTempSubdirectory("oci-fuzz-seed-").FullName;
        try
        {
            var layoutPath = Path.Combine(scratch, "layout");
            byte[] manifest, index;
            using (var writer = OciLayoutWriter.Create(layoutPath))
            {
                var config = writer.WriteBlob("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"u8, MediaTypes.OciConfig);
                var layer = writer.WriteBlob("not really a tar"u8, MediaTypes.OciLayerGzip);
                manifest = OciJson.Serialize(new ImageManifest { MediaType = MediaTypes.OciManifest, Config = config, Layers = [layer] });
                var root = writer.WriteBlob(manifest, MediaTypes.OciManifest).WithAnnotation(AnnotationKeys.RefName, "v1");
                var imageIndex = new ImageIndex { Manifests = [root] };
                index = OciJson.Serialize(imageIndex);
                writer.Commit(imageIndex);
            }
            var archivePath = Path.Combine(scratch, "image.tar");
            OciArchive.Write(layoutPath, archivePath);
            archive = File.ReadAllBytes(archivePath);
            return (manifest, index);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
