using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Encryption;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Hardening;

/// <summary>
/// One hostile (or valid) input and what each receiving command must answer: "0" (success) or the error code.
/// <see cref="Target"/> is what the CLI is given (<c>oci:DIR</c> or <c>oci-archive:FILE</c>).
/// </summary>
public sealed record CorpusCase(string Name, string Target, string Inspect, string Verify, string Decrypt)
{
    public override string ToString() => Name;
}

/// <summary>
/// Generates the hostile-input corpus from one small valid image (built with the engine, encrypted with a test key):
/// every case is a few bytes changed in a copy, so the corpus is code, not binary files. Classes: malformed documents,
/// non-canonical digests, unknown media types, unbounded work (deep chains, fan-out DAGs, /dev/zero, FIFOs, devices,
/// symlinks out of the layout), corrupted blobs, hostile archives, broken encryption annotations.
/// </summary>
public sealed class HostileCorpus : IDisposable
{
    public const string Ok = "0";
    private readonly TempDirectory _temp = new("corpus");
    private readonly List<CorpusCase> _cases = [];

    public HostileCorpus()
    {
        Image = TestImage.Build(_temp, dataSize: 50_000);
        (Key, var pub) = Tools.RsaKey(_temp, "site");
        Encrypted = Engine.Encrypt(Image, _temp, ["jwe:" + pub]);
        Generate();
    }

    public TestImage Image { get; }
    public string Key { get; }
    public string Encrypted { get; }
    public IReadOnlyList<CorpusCase> Cases => _cases;
    public string Combine(string name) => _temp.Combine(name);

    public void Dispose() => _temp.Dispose();

    private string Layout(string name, string? from = null)
    {
        var target = _temp.Combine("cases", name);
        CopyDirectory(from ?? Image.PlainLayout, target);
        return target;
    }

    private void Add(string name, string target, string inspect, string? verify = null, string? decrypt = null) =>
        _cases.Add(new CorpusCase(name, target, inspect, verify ?? inspect, decrypt ?? verify ?? inspect));

    private void Generate()
    {
        var (manifestEntry, _) = LayoutAssert.ReadImage(Image.PlainLayout, Image.Tag);
        var layer = Image.AddedLayers[0];

        // --- valid inputs: must succeed -------------------------------------------------------------------
        Add("valid plain layout", "oci:" + Layout("valid-plain"), Ok);
        Add("valid encrypted layout", "oci:" + Layout("valid-encrypted", Encrypted), Ok);
        var sha512 = Layout("valid-sha512");
        var manifestBytes = File.ReadAllBytes(BlobPath(sha512, manifestEntry.Digest));
        var manifest512 = WriteBlob(sha512, manifestBytes, "sha512");
        SetIndex(sha512, Index(Entry(MediaTypes.OciManifest, manifest512, manifestBytes.Length)));
        Add("valid layout naming its manifest by sha512", "oci:" + sha512, Ok);
        var archive = _temp.Combine("cases", "valid.tar");
        OciArchive.Write(Image.PlainLayout, archive);
        Add("valid archive", "oci-archive:" + archive, Ok);

        // --- index.json and oci-layout of the wrong shape ---------------------------------------------------
        foreach (var (name, json) in new[]
                 {
                     ("index manifests null", "{\"schemaVersion\":2,\"manifests\":null}"),
                     ("index manifests [null]", "{\"schemaVersion\":2,\"manifests\":[null]}"),
                     ("index not JSON", "{\"schemaVersion\":2,"),
                     ("index is an array", "[]"),
                     ("index entry size is a string", Index(Entry(MediaTypes.OciManifest, manifestEntry.Digest, manifestEntry.Size).Replace($"\"size\":{manifestEntry.Size}", $"\"size\":\"{manifestEntry.Size}\""))),
                     ("index entry negative size", Index(Entry(MediaTypes.OciManifest, manifestEntry.Digest, -1))),
                     ("index entry digest with a trailing newline", Index(Entry(MediaTypes.OciManifest, manifestEntry.Digest, manifestEntry.Size).Replace(manifestEntry.Digest.ToString(), manifestEntry.Digest + "\\n"))),
                     ("index entry of unknown media type", Index(Entry("application/x-unknown", manifestEntry.Digest, manifestEntry.Size))),
                     ("index entry media type null", Index(Entry(MediaTypes.OciManifest, manifestEntry.Digest, manifestEntry.Size).Replace($"\"{MediaTypes.OciManifest}\"", "null"))),
                 })
        {
            var dir = Layout(Slug(name));
            File.WriteAllText(Path.Combine(dir, "index.json"), json);
            Add(name, "oci:" + dir, ErrorCodes.InvalidDocument);
        }
        var badMarker = Layout("oci-layout-wrong-shape");
        File.WriteAllText(Path.Combine(badMarker, "oci-layout"), "{\"imageLayoutVersion\":1}");
        Add("oci-layout of the wrong shape", "oci:" + badMarker, ErrorCodes.InvalidLayout);
        var noMarker = Layout("oci-layout-missing");
        File.Delete(Path.Combine(noMarker, "oci-layout"));
        Add("oci-layout missing", "oci:" + noMarker, ErrorCodes.InvalidLayout);

        // --- manifests and configs of the wrong shape (each written as a proper blob, so only its content is wrong) ---
        foreach (var (name, edit) in new (string, Action<JsonObject>)[]
                 {
                     ("manifest layers null", m => m["layers"] = null),
                     ("manifest layers [null]", m => m["layers"] = new JsonArray((JsonNode?)null)),
                     ("manifest config null", m => m["config"] = null),
                     ("manifest layer size negative", m => m["layers"]![0]!["size"] = -5),
                     ("manifest layer digest a number", m => m["layers"]![0]!["digest"] = 7),
                     ("manifest layer digest upper-case", m => m["layers"]![0]!["digest"] = layer.ToString().ToUpperInvariant()),
                     ("manifest schemaVersion 1", m => m["schemaVersion"] = 1),
                 })
        {
            var dir = Layout(Slug(name));
            var json = JsonNode.Parse(manifestBytes)!.AsObject();
            edit(json);
            var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
            SetIndex(dir, Index(Entry(MediaTypes.OciManifest, WriteBlob(dir, bytes), bytes.Length)));
            Add(name, "oci:" + dir, ErrorCodes.InvalidDocument);
        }
        foreach (var (name, config) in new[] { ("config not JSON", "\u0001not json"), ("config os a number", "{\"os\":7,\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}") })
        {
            var dir = Layout(Slug(name));
            var bytes = Encoding.UTF8.GetBytes(config);
            var configDigest = WriteBlob(dir, bytes);
            var json = JsonNode.Parse(manifestBytes)!.AsObject();
            json["config"]!["digest"] = configDigest.ToString();
            json["config"]!["size"] = bytes.Length;
            var m = Encoding.UTF8.GetBytes(json.ToJsonString());
            SetIndex(dir, Index(Entry(MediaTypes.OciManifest, WriteBlob(dir, m), m.Length)));
            // verify checks bytes against digests (they match); inspect and decrypt read the config and must refuse it.
            Add(name, "oci:" + dir, ErrorCodes.InvalidDocument, verify: Ok);
        }

        // --- blobs that lie, are missing, or are not regular files inside the layout --------------------------
        var corrupt = Layout("blob-corrupted");
        var corruptPath = BlobPath(corrupt, layer);
        var content = File.ReadAllBytes(corruptPath);
        content[content.Length / 2] ^= 0x55;
        File.WriteAllBytes(corruptPath, content);
        Add("layer blob corrupted (same size)", "oci:" + corrupt, Ok, verify: ErrorCodes.DigestMismatch, decrypt: ErrorCodes.DigestMismatch);
        var missing = Layout("blob-missing");
        File.Delete(BlobPath(missing, layer));
        Add("layer blob missing", "oci:" + missing, Ok, verify: ErrorCodes.InvalidLayout, decrypt: ErrorCodes.InvalidLayout);
        var linkOut = Layout("blob-symlink-out");
        var outside = _temp.Combine("outside-copy-of-layer");
        File.Copy(BlobPath(linkOut, layer), outside);
        File.Delete(BlobPath(linkOut, layer));
        File.CreateSymbolicLink(BlobPath(linkOut, layer), outside);
        Add("layer blob a symlink to a correct copy outside the layout", "oci:" + linkOut, Ok, verify: ErrorCodes.InvalidLayout, decrypt: ErrorCodes.InvalidLayout);
        var zero = Layout("index-dev-zero");
        File.Delete(Path.Combine(zero, "index.json"));
        File.CreateSymbolicLink(Path.Combine(zero, "index.json"), "/dev/zero");
        Add("index.json a symlink to /dev/zero", "oci:" + zero, ErrorCodes.InvalidLayout);
        var fifo = Layout("blob-fifo");
        File.Delete(BlobPath(fifo, layer));
        ProcessRunner.Run("mkfifo", BlobPath(fifo, layer)).EnsureSuccess("mkfifo");
        Add("layer blob a FIFO", "oci:" + fifo, Ok, verify: ErrorCodes.InvalidLayout, decrypt: ErrorCodes.InvalidLayout);
        var device = Layout("blob-device");
        File.Delete(BlobPath(device, layer));
        File.CreateSymbolicLink(BlobPath(device, layer), "/dev/urandom");
        Add("layer blob a link to a device", "oci:" + device, Ok, verify: ErrorCodes.InvalidLayout, decrypt: ErrorCodes.InvalidLayout);

        // --- unbounded work from small input --------------------------------------------------------------
        var chain = Layout("index-chain-deep");
        var (childDigest, childSize) = (manifestEntry.Digest, manifestEntry.Size);
        var childType = MediaTypes.OciManifest;
        for (var i = 0; i < 2000; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(Index(Entry(childType, childDigest, childSize)));
            (childDigest, childSize, childType) = (WriteBlob(chain, bytes), bytes.Length, MediaTypes.OciIndex);
        }
        SetIndex(chain, Index(Entry(childType, childDigest, childSize)));
        // A chain of indexes 2000 deep: the image walker refuses more than 8 levels of nesting, in every command.
        Add("index chain 2000 deep", "oci:" + chain, ErrorCodes.InvalidDocument);
        var dag = Layout("index-fan-out-dag");
        (childDigest, childSize, childType) = (manifestEntry.Digest, manifestEntry.Size, MediaTypes.OciManifest);
        for (var i = 0; i < 6; i++)
        {
            // Each level names the level below 40 times: 40^6 (4e9) paths through 6 distinct small documents (within the
            // walker's nesting limit, so only memoization by digest keeps this fast).
            var entry = Entry(childType, childDigest, childSize);
            var bytes = Encoding.UTF8.GetBytes(Index(Enumerable.Repeat(entry, 40).ToArray()));
            (childDigest, childSize, childType) = (WriteBlob(dag, bytes), bytes.Length, MediaTypes.OciIndex);
        }
        SetIndex(dag, Index(Entry(childType, childDigest, childSize)));
        Add("index DAG fanning out to 40^6 paths", "oci:" + dag, Ok);
        var huge = Layout("index-huge");
        File.WriteAllText(Path.Combine(huge, "index.json"), "{\"schemaVersion\":2,\"manifests\":[" + new string(' ', 5 * 1024 * 1024) + "]}");
        Add("index.json of 5 MiB", "oci:" + huge, ErrorCodes.InvalidLayout);

        // --- encrypted layers with broken annotations ---------------------------------------------------------
        foreach (var (name, annotation, value) in new[]
                 {
                     ("encrypted layer pubopts not base64", "org.opencontainers.image.enc.pubopts", "%%%"),
                     ("encrypted layer pubopts not JSON", "org.opencontainers.image.enc.pubopts", Convert.ToBase64String("nope"u8)),
                     ("encrypted layer jwe keys garbage", "org.opencontainers.image.enc.keys.jwe", Convert.ToBase64String("{\"protected\":7}"u8)),
                 })
        {
            var dir = Layout(Slug(name), Encrypted);
            LayoutEdit.RewriteLayers(dir, (l, _) => l.Annotations is null || !l.Annotations.ContainsKey("org.opencontainers.image.enc.pubopts") ? l
                : l.WithAnnotation(annotation, value));
            // An unreadable wrapped key means no key opens the layer (OCI3010, whose message names the JWE problem).
            Add(name, "oci:" + dir, Ok, verify: Ok, decrypt: annotation.EndsWith(".jwe", StringComparison.Ordinal) ? ErrorCodes.NoMatchingKey : ErrorCodes.InvalidEncryptedLayer);
        }

        // --- hostile archives -------------------------------------------------------------------------------
        // The archive source reads entries in place (nothing is extracted): these archives, which have no index.json
        // besides the clashing names, are refused as not being OCI archives.
        AddArchive("archive file and folder share a name", ErrorCodes.InvalidLayout, w =>
        {
            TarFile(w, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
            TarFile(w, "blobs/sha256", "a file where a folder belongs");
            TarFile(w, "blobs/sha256/abc", "x");
        });
        AddArchive("archive folder where a file was", ErrorCodes.InvalidLayout, w =>
        {
            TarFile(w, "blobs/sha256/abc", "x");
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "blobs/sha256/abc"));
        });
        AddArchive("archive FIFO entry", ErrorCodes.UnsafeArchiveEntry, w => w.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "blobs/sha256/abc")));
        AddArchive("archive character device entry", ErrorCodes.UnsafeArchiveEntry, w => w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "blobs/sha256/abc")));
        AddArchive("archive symlink entry", ErrorCodes.UnsafeArchiveEntry, w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "index.json") { LinkName = "/etc/passwd" }));
        AddArchive("archive hard link entry", ErrorCodes.UnsafeArchiveEntry, w => w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "index.json") { LinkName = "oci-layout" }));
        AddArchive("archive absolute path", ErrorCodes.UnsafeArchiveEntry, w => TarFile(w, "/etc/cron.d/evil", "x"));
        AddArchive("archive path with ..", ErrorCodes.UnsafeArchiveEntry, w => TarFile(w, "blobs/../../evil", "x"));
        AddArchive("archive names a file twice", ErrorCodes.UnsafeArchiveEntry, w => { TarFile(w, "oci-layout", "{}"); TarFile(w, "oci-layout", "{}"); });
        var garbage = _temp.Combine("cases", "garbage.tar");
        System.IO.File.WriteAllBytes(garbage, RandomNumberGenerator.GetBytes(4096));
        Add("archive of random bytes", "oci-archive:" + garbage, ErrorCodes.InvalidLayout);
    }

    private void AddArchive(string name, string code, Action<TarWriter> write)
    {
        var path = _temp.Combine("cases", Slug(name) + ".tar");
        using (var stream = System.IO.File.Create(path))
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax))
            write(writer);
        Add(name, "oci-archive:" + path, code);
    }

    private static void TarFile(TarWriter writer, string name, string content) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });

    private static string Slug(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    private static string BlobPath(string layout, Digest digest) => Path.Combine(layout, "blobs", digest.Algorithm, digest.Hex);

    private static Digest WriteBlob(string layout, byte[] content, string algorithm = "sha256")
    {
        var digest = Digest.Of(content, algorithm);
        Directory.CreateDirectory(Path.Combine(layout, "blobs", algorithm));
        System.IO.File.WriteAllBytes(BlobPath(layout, digest), content);
        return digest;
    }

    private static void SetIndex(string layout, string json) => System.IO.File.WriteAllText(Path.Combine(layout, "index.json"), json);

    private static string Entry(string mediaType, Digest digest, long size) =>
        $"{{\"mediaType\":\"{mediaType}\",\"digest\":\"{digest}\",\"size\":{size},\"annotations\":{{\"org.opencontainers.image.ref.name\":\"v1\"}}}}";

    private static string Index(params string[] entries) =>
        $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{string.Join(",", entries)}]}}";

    public static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            System.IO.File.Copy(file, target);
        }
    }
}
