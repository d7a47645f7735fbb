using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Graph;
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

        GenerateThickArchives();
    }

    // --- hostile thick archives (issue 9) --------------------------------------------------------------
    // A valid thick archive of the image, then copies with one thing wrong. Where the change would also break
    // checksums.sha256, the checksum file is rewritten to match, so the case proves the check it is named after.
    private void GenerateThickArchives()
    {
        var image = new BundleImageInput("app", "registry.example/test/app:v1", BundleImageSources.FromLayout(Image.PlainLayout, Image.Tag));
        var bundle = BundleComposer.Compose(new BundleRequest { Name = "corpus", Version = "1.0.0", InvocationImage = image });
        var valid = ThickArchiveWriter.Write(new ThickArchiveRequest
        {
            ArchivePath = _temp.Combine("cases", "thick-valid.cnab.tar"),
            Bundle = bundle,
            Images = ThickArchiveWriter.ImagesOf(bundle, new BundleImageSourceMap { Layout = Image.PlainLayout }),
        }, location => new LayoutSource(OciLayout.Open(location.Path)), new SilentLog()).ArchivePath;
        Add("thick archive, valid", "oci-archive:" + valid, Ok);

        var members = ReadTar(valid);
        var layerName = $"./artifacts/layout/blobs/sha256/{Image.AddedLayers[1].Hex}";
        var configName = $"./artifacts/layout/blobs/sha256/{Image.ManifestDocument.Config.Digest.Hex}";
        AddThick("thick archive entry with ..", ErrorCodes.UnsafeArchiveEntry, members, (w, _) => TarFile(w, "./artifacts/../../evil", "x"));
        AddThick("thick archive absolute path", ErrorCodes.UnsafeArchiveEntry, members, (w, _) => TarFile(w, "/etc/cron.d/evil", "x"));
        AddThick("thick archive symlink", ErrorCodes.UnsafeArchiveEntry, members,
            (w, _) => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "./artifacts/layout/blobs/sha256/evil") { LinkName = "/etc/passwd" }));
        AddThick("thick archive hard link", ErrorCodes.UnsafeArchiveEntry, members,
            (w, _) => w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "./artifacts/layout/blobs/sha256/evil") { LinkName = "./bundle.json" }));
        AddThick("thick archive block device", ErrorCodes.UnsafeArchiveEntry, members, (w, _) => w.WriteEntry(new PaxTarEntry(TarEntryType.BlockDevice, "./artifacts/layout/blobs/sha256/dev")));
        AddThick("thick archive names bundle.json twice", ErrorCodes.UnsafeArchiveEntry, members, (w, m) => TarFile(w, "./bundle.json", Encoding.UTF8.GetString(m["./bundle.json"])));

        // A flipped byte in a layer: inspect reads no layer; verify names the checksum (and digest); decrypt's copy refuses the blob.
        var flipped = new Dictionary<string, byte[]>(members) { [layerName] = Flip(members[layerName]) };
        AddThick("thick archive with a flipped byte in a layer", Ok, flipped, null, verify: ErrorCodes.ArchiveChecksumMismatch, decrypt: ErrorCodes.DigestMismatch);
        // The index names a config the archive lacks (checksums rewritten without it).
        var noConfig = new Dictionary<string, byte[]>(members);
        noConfig.Remove(configName);
        AddThick("thick archive whose index names a missing blob", ErrorCodes.InvalidLayout, WithChecksums(noConfig), null);
        // The bundle names an image the layout lacks (bundle, map and checksums consistent otherwise).
        var ghost = new BundleImageInput("ghost", "registry.example/test/ghost:v1", Image.Manifest with { Digest = Digest.Of(Encoding.UTF8.GetBytes("ghost")), Annotations = null });
        var ghostBundle = BundleComposer.Compose(new BundleRequest { Name = "corpus", Version = "1.0.0", InvocationImage = image, Images = [ghost] });
        var ghostMembers = new Dictionary<string, byte[]>(members)
        {
            ["./bundle.json"] = BundleJson.Serialize(ghostBundle),
            ["./relocation-mapping.json"] = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(ghostBundle.AllImages().Select(i => i.Image.Image).Distinct()
                .ToDictionary(i => i, i => i))),
        };
        AddThick("thick archive whose bundle names an image the layout lacks", Ok, WithChecksums(ghostMembers), null, verify: ErrorCodes.ArchiveBundleImageMissing, decrypt: Ok);

        // Truncated in the middle of the largest blob; a header declaring far more bytes than the archive holds.
        var bytes = System.IO.File.ReadAllBytes(valid);
        var truncated = _temp.Combine("cases", "thick-truncated.cnab.tar");
        System.IO.File.WriteAllBytes(truncated, bytes[..(HeaderOffset(bytes, layerName) + 512 + members[layerName].Length / 2)]);
        Add("thick archive truncated", "oci-archive:" + truncated, ErrorCodes.ArchiveTruncated);
        var gigantic = _temp.Combine("cases", "thick-gigantic-size.cnab.tar");
        System.IO.File.WriteAllBytes(gigantic, DeclareSize(bytes, HeaderOffset(bytes, "./relocation-mapping.json"), "77777777777"));
        Add("thick archive declaring a gigantic size", "oci-archive:" + gigantic, ErrorCodes.ArchiveTruncated);
    }

    private void AddThick(string name, string code, IReadOnlyDictionary<string, byte[]> members, Action<TarWriter, IReadOnlyDictionary<string, byte[]>>? extra,
        string? verify = null, string? decrypt = null)
    {
        var path = _temp.Combine("cases", Slug(name) + ".cnab.tar");
        using (var stream = System.IO.File.Create(path))
        using (var writer = new TarWriter(stream, TarEntryFormat.Ustar))
        {
            foreach (var (member, content) in members.OrderBy(m => m.Key, StringComparer.Ordinal))
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, member) { DataStream = new MemoryStream(content) });
            extra?.Invoke(writer, members);
        }
        Add(name, "oci-archive:" + path, code, verify, decrypt);
    }

    private static Dictionary<string, byte[]> ReadTar(string path)
    {
        var members = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var stream = System.IO.File.OpenRead(path);
        using var reader = new TarReader(stream);
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            if (entry.EntryType == TarEntryType.Directory) continue;
            using var buffer = new MemoryStream();
            entry.DataStream?.CopyTo(buffer);
            members[entry.Name] = buffer.ToArray();
        }
        return members;
    }

    private static Dictionary<string, byte[]> WithChecksums(Dictionary<string, byte[]> members)
    {
        var lines = members.Where(m => m.Key != "./checksums.sha256").OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => $"{Convert.ToHexStringLower(SHA256.HashData(m.Value))}  {m.Key}\n");
        members["./checksums.sha256"] = Encoding.UTF8.GetBytes(string.Concat(lines));
        return members;
    }

    private static byte[] Flip(byte[] content)
    {
        var copy = content.ToArray();
        copy[copy.Length / 2] ^= 0x01;
        return copy;
    }

    /// <summary>Where the ustar header of <paramref name="name"/> starts (the archive's own writer: one header per entry).</summary>
    private static int HeaderOffset(byte[] tar, string name)
    {
        for (var offset = 0; offset + 512 <= tar.Length;)
        {
            var entryName = Encoding.ASCII.GetString(tar, offset, 100).TrimEnd('\0');
            var prefix = Encoding.ASCII.GetString(tar, offset + 345, 155).TrimEnd('\0');
            var full = prefix.Length > 0 ? prefix + "/" + entryName : entryName;
            if (full == name) return offset;
            var size = Convert.ToInt64(Encoding.ASCII.GetString(tar, offset + 124, 11).Trim('\0', ' ') is { Length: > 0 } octal ? octal : "0", 8);
            offset += 512 + (int)((size + 511) / 512 * 512);
        }
        throw new InvalidOperationException($"{name} is not in the archive");
    }

    /// <summary>Rewrites a header's size field (11 octal digits) and its checksum.</summary>
    private static byte[] DeclareSize(byte[] tar, int offset, string octalSize)
    {
        var copy = tar.ToArray();
        Encoding.ASCII.GetBytes(octalSize + "\0").CopyTo(copy, offset + 124);
        for (var i = 148; i < 156; i++) copy[offset + i] = (byte)' ';
        var sum = 0;
        for (var i = 0; i < 512; i++) sum += copy[offset + i];
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(copy, offset + 148);
        return copy;
    }

    private sealed class SilentLog : IBuildLog
    {
        public void Info(string message) { }
        public void Detail(string message) { }
        public void Warning(string code, string message) { }
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
