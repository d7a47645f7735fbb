using System.Text;
using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Oci;
using Oci.Build.Registry.Transfer;
using Oci.Build.Signing;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Signing;

/// <summary>
/// Signed thick archives (issue 11): checksums.sha256 signed at write (openssl is the oracle), <c>verify --key</c> and
/// <c>import --key/--policy</c> refusing what is unsigned, tampered or another key's before anything is pushed, and an
/// accepted import verifying under its site name with eng/cosign-verify.sh. On <see cref="SignedRegistries"/>.
/// </summary>
public sealed partial class SignedPushTests
{
    /// <summary>
    /// A bundle of one image pushed unsigned to the build registry, archived (the writer signs what is unsigned when it has
    /// a signer). Each call names its own repository, so the tests of this class do not share archives.
    /// </summary>
    private string SignedArchive(string name, string repository, IImageSigner? signer)
    {
        var root = Root(fixture.Push(repository, null, "1.0"));
        var image = new CnabImage
        {
            Image = $"{fixture.Build.Host}/{repository}:1.0@{root.Digest}", ContentDigest = root.Digest.ToString(), Size = root.Size, MediaType = root.MediaType,
        };
        var bundle = new CnabBundle { Name = "sealed", Version = "1.0.0", InvocationImages = [image], Images = new Dictionary<string, CnabImage> { ["app"] = image } };
        var archive = fixture.Harness.Combine(name);
        using var registries = new RegistryImages(fixture.Harness.Settings, fixture.Harness.Log, null, fixture.Build.Host);
        ThickArchiveWriter.Write(new ThickArchiveRequest
        {
            ArchivePath = archive, Bundle = bundle, Images = ThickArchiveWriter.ImagesOf(bundle, new BundleImageSourceMap()), Signer = signer, UnixTime = 1_700_000_000,
        }, registries.OpenSource, fixture.Harness.Log);
        return archive;
    }

    private string Policy(string name, string json)
    {
        var path = fixture.Harness.Combine(name);
        File.WriteAllText(path, json);
        return path;
    }

    private string KeyPolicy(string name, string identity) =>
        Policy(name, $$"""{"default":[{"type":"reject"}],"transports":{"docker":{"{{fixture.Site.Host}}":[{"type":"sigstoreSigned","keyPath":"{{Keys.Public}}","signedIdentity":""" + identity + "}]}}}");

    /// <summary>A copy of <paramref name="archive"/> with one byte of <paramref name="text"/> (found once in it) changed, same length.</summary>
    private string Tampered(string archive, string name, string text, int at, char with)
    {
        var bytes = File.ReadAllBytes(archive);
        var needle = Encoding.ASCII.GetBytes(text);
        var offset = bytes.AsSpan().IndexOf(needle);
        Assert.True(offset >= 0 && bytes.AsSpan(offset + 1).IndexOf(needle) < 0, "the text occurs once in the archive");
        bytes[offset + at] = (byte)with;
        var path = fixture.Harness.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string[] Catalog()
    {
        using var http = new HttpClient();
        var json = http.GetStringAsync($"http://{fixture.Site.Host}/v2/_catalog").GetAwaiter().GetResult();
        return System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!).ToArray();
    }

    [Fact]
    public void A_signed_thick_archive_is_reproducible_and_its_checksum_signature_verifies_with_openssl_and_with_verify_key()
    {
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        var first = SignedArchive("sealed-1.cnab.tar", "team/sealed", signer);
        var second = SignedArchive("sealed-2.cnab.tar", "team/sealed", signer);
        // Deterministic ECDSA (RFC 6979): the same key signs the same checksums and images the same way.
        Assert.Equal(Digest.OfFile(first), Digest.OfFile(second));

        using var extracted = new TempDirectory("sealed");
        ProcessRunner.Run("tar", "-xf", first, "-C", extracted.Path, "./checksums.sha256", "./checksums.sha256.sig").EnsureSuccess("tar");
        File.WriteAllBytes(extracted.Combine("sig.der"), Convert.FromBase64String(File.ReadAllText(extracted.Combine("checksums.sha256.sig"))));
        var openssl = ProcessRunner.Run("openssl", "dgst", "-sha256", "-verify", Keys.Public, "-signature", extracted.Combine("sig.der"), extracted.Combine("checksums.sha256"));
        Assert.True(openssl.ExitCode == 0, openssl.Output);
        Assert.Contains("Verified OK", openssl.StandardOutput);
        Assert.NotEqual(0, ProcessRunner.Run("openssl", "dgst", "-sha256", "-verify", Keys.OtherPublic, "-signature", extracted.Combine("sig.der"), extracted.Combine("checksums.sha256")).ExitCode);

        var verified = DotnetOci.Run("verify", first, "--key", Keys.Public);
        Assert.True(verified.Exit == 0, verified.Output + verified.Error);
        Assert.Contains("signatures verified with the key", verified.Output);
        var byPolicy = DotnetOci.Run("verify", first, "--policy",
            Policy("verify-policy.json", $$"""{"default":[{"type":"sigstoreSigned","keyData":"{{Convert.ToBase64String(File.ReadAllBytes(Keys.Public))}}"}]}"""));
        Assert.True(byPolicy.Exit == 0, byPolicy.Output + byPolicy.Error);
    }

    [Fact]
    public void Verify_with_a_key_refuses_an_unsigned_archive_a_tampered_checksum_file_or_signature_and_another_keys_signatures()
    {
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        var signed = SignedArchive("checked.cnab.tar", "team/checked", signer);

        var unsigned = DotnetOci.Run("verify", SignedArchive("unsigned.cnab.tar", "team/checked-unsigned", null), "--key", Keys.Public);
        Assert.Equal(1, unsigned.Exit);
        Assert.Contains($"error {ErrorCodes.ArchiveNotSigned}", unsigned.Error);
        Assert.Contains($"error {ErrorCodes.SignatureMissing}", unsigned.Error);

        var otherKey = DotnetOci.Run("verify", signed, "--key", Keys.OtherPublic);
        Assert.Equal(1, otherKey.Exit);
        Assert.Contains($"error {ErrorCodes.ArchiveSignatureInvalid}", otherKey.Error);
        Assert.Contains($"error {ErrorCodes.SignatureInvalid}", otherKey.Error);

        // One hash of checksums.sha256 upper-cased: still the same hashes (the listing is compared without case), so only
        // the signature can tell the file changed.
        using var extracted = new TempDirectory("checked");
        ProcessRunner.Run("tar", "-xf", signed, "-C", extracted.Path, "./checksums.sha256", "./checksums.sha256.sig").EnsureSuccess("tar");
        var line = File.ReadLines(extracted.Combine("checksums.sha256")).First(l => l[..64].Any(char.IsAsciiLetterLower));
        var letter = line[..64].ToList().FindIndex(char.IsAsciiLetterLower);
        var checksumTampered = Tampered(signed, "checksums-tampered.cnab.tar", line, letter, char.ToUpperInvariant(line[letter]));
        Assert.Equal(0, DotnetOci.Run("verify", checksumTampered).Exit);
        var refused = DotnetOci.Run("verify", checksumTampered, "--key", Keys.Public);
        Assert.Equal(1, refused.Exit);
        Assert.Contains($"error {ErrorCodes.ArchiveSignatureInvalid}", refused.Error);
        Assert.DoesNotContain($"error {ErrorCodes.ArchiveChecksumMismatch}", refused.Error);

        var signature = File.ReadAllText(extracted.Combine("checksums.sha256.sig"));
        var signatureTampered = Tampered(signed, "signature-tampered.cnab.tar", signature, 20, signature[20] == 'A' ? 'B' : 'A');
        var badSignature = DotnetOci.Run("verify", signatureTampered, "--key", Keys.Public);
        Assert.Equal(1, badSignature.Exit);
        Assert.Contains($"error {ErrorCodes.ArchiveSignatureInvalid}", badSignature.Error);
    }

    [Fact]
    public void Import_with_a_key_or_policy_refuses_before_pushing_anything_and_a_signed_archive_verifies_under_its_site_name()
    {
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        var signed = SignedArchive("import.cnab.tar", "team/imported", signer);
        var unsigned = SignedArchive("import-unsigned.cnab.tar", "team/imported-unsigned", null);
        var mapping = fixture.Harness.Combine("import-mapping.json");
        (int Exit, string Output, string Error) Import(string archive, string prefix, params string[] trust) =>
            DotnetOci.Run(["import", archive, "--registry", $"{fixture.Site.Host}/{prefix}", "--relocation-mapping", mapping, .. trust]);

        foreach (var (archive, trust, code) in new[]
                 {
                     (unsigned, new[] { "--key", Keys.Public }, ErrorCodes.ArchiveNotSigned),
                     (signed, new[] { "--key", Keys.OtherPublic }, ErrorCodes.ArchiveSignatureInvalid),
                     // The site's names are not the signed ones: without remapIdentity the policy refuses them.
                     (signed, new[] { "--policy", KeyPolicy("exact-policy.json", """{"type":"matchRepoDigestOrExact"}""") }, ErrorCodes.PolicyRejected),
                     (signed, new[] { "--policy", Policy("gpg-policy.json", """{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k.gpg"}]}""") }, ErrorCodes.PolicyUnsupported),
                 })
        {
            var refused = Import(archive, "refused", trust);
            Assert.True(refused.Exit != 0, refused.Output);
            // A policy it cannot check is refused as it is read; otherwise the import is refused as a whole (OCI5057), listing each problem with its code.
            Assert.Contains($"error {(code == ErrorCodes.PolicyUnsupported ? code : ErrorCodes.ImportRefused)}", refused.Error);
            Assert.Contains(code, refused.Error);
        }
        Assert.DoesNotContain(Catalog(), r => r.StartsWith("refused/", StringComparison.Ordinal));
        Assert.False(File.Exists(mapping));

        var byKey = Import(signed, "by-key", "--key", Keys.Public);
        Assert.True(byKey.Exit == 0, byKey.Error);
        var remapped = KeyPolicy("remap-policy.json", $$"""{"type":"remapIdentity","prefix":"{{fixture.Site.Host}}/by-policy","signedPrefix":"{{fixture.Build.Host}}"}""");
        var byPolicy = Import(signed, "by-policy", "--policy", remapped);
        Assert.True(byPolicy.Exit == 0, byPolicy.Error);
        foreach (var prefix in new[] { "by-key", "by-policy" })
        {
            var accepted = CosignCheck.Verify(Keys.Public, $"{fixture.Site.Host}/{prefix}/team/imported:1.0", remap: $"{fixture.Site.Host}/{prefix}={fixture.Build.Host}");
            Assert.True(accepted.ExitCode == 0, accepted.Output);
        }
    }
}
