using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Sbom;
using Oci.Build.Signing;
using Oci.Build.Tests.Encryption;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Hardening;

/// <summary>`dotnet oci decrypt -o DIR` never destroys data it did not write, and never takes a passphrase inline.</summary>
public sealed class DecryptOutputTests : IDisposable
{
    private readonly TempDirectory _temp = new("decrypt-out");

    public void Dispose() => _temp.Dispose();

    private static (int Exit, string Output, string Error) Oci(params string[] args) => DotnetOci.Run(args);

    [Fact]
    public async Task A_non_empty_foreign_folder_is_refused_without_force_and_a_previous_layout_is_replaced_and_the_sbom_follows_the_decrypted_image()
    {
        var image = TestImage.Build(_temp);
        var (key, pub) = Tools.RsaKey(_temp, "site");
        var encrypted = Engine.Encrypt(image, _temp, ["jwe:" + pub]);
        // As an encrypting build does: the SBOM attached to the encrypted manifest.
        var encryptedManifest = LayoutAssert.ReadImage(encrypted, image.Tag).Entry with { Annotations = null };
        var sbom = "{\"spdxVersion\":\"SPDX-2.3\"}\n"u8.ToArray();
        await SbomReferrer.AttachToLayoutAsync(encrypted, sbom, encryptedManifest, TestImages.Created, CancellationToken.None);
        // And signed, image and SBOM: signatures of the encrypted digests, which decryption cannot carry over (no key).
        var signingKey = _temp.Combine("cosign.key");
        using (var ecdsa = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
            File.WriteAllText(signingKey, ecdsa.ExportPkcs8PrivateKeyPem());
        using (var signer = SigningKeys.Open(signingKey, "/"))
        using (var source = new LayoutSource(OciLayout.Open(encrypted)))
        using (var sink = new LayoutSink(encrypted, keepExisting: true))
        {
            var signatures = await ImageSigning.PrepareAsync(new SigningOptions(signer), source, "example.com/app", [new CopyRoot(encryptedManifest, [image.Tag])], CancellationToken.None);
            Assert.Equal(2, signatures.Count);
            foreach (var signature in signatures) await signature.PutAsync(sink, CancellationToken.None);
            await sink.CommitAsync(CancellationToken.None);
        }

        // Someone's folder: refused, untouched.
        var foreign = _temp.Combine("photos");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "holiday.jpg"), "precious");
        var (exit, _, error) = Oci("decrypt", $"oci:{encrypted}", "-o", foreign, "--key", key);
        Assert.Equal(1, exit);
        Assert.Contains(ErrorCodes.OutputNotOurs, error);
        Assert.Contains("--force", error);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(foreign, "holiday.jpg")));

        // A file in the way: refused too.
        var file = _temp.Combine("notes.txt");
        File.WriteAllText(file, "keep");
        Assert.Equal(1, Oci("decrypt", $"oci:{encrypted}", "-o", file, "--key", key).Exit);
        Assert.Equal("keep", File.ReadAllText(file));

        // A new folder, then the same folder again (a layout this tool wrote): both fine.
        var output = _temp.Combine("plain");
        Assert.Equal(0, Oci("decrypt", $"oci:{encrypted}", "-o", output, "--key", key).Exit);
        var again = Oci("decrypt", $"oci:{encrypted}", "-o", output, "--key", key);
        Assert.True(again.Exit == 0, again.Error);
        LayoutAssert.SameImage(image.ManifestDocument, output, image.Tag);
        // The SBOM is attached to the decrypted image (the encrypted one is not in the output): the same SBOM blob in a
        // referrer whose subject is the decrypted manifest, under its referrers tag, so `sbom` and `inspect` find it. The
        // encrypted digests' signatures are left out: they name nothing in the output.
        var decrypted = OciLayout.Open(output);
        Assert.Equal(new[] { image.Tag, AttachedObjects.ReferrersTag(image.Manifest.Digest) }.Order(StringComparer.Ordinal), decrypted.Tags().Order(StringComparer.Ordinal));
        var referrers = OciJson.Deserialize<ImageIndex>(decrypted.ReadDocument(decrypted.FindManifest(AttachedObjects.ReferrersTag(image.Manifest.Digest)), "referrers"), "referrers");
        var referrer = OciJson.Deserialize<ImageManifest>(decrypted.ReadDocument(Assert.Single(referrers.Manifests) with { Annotations = null, ArtifactType = null }, "SBOM manifest"), "SBOM manifest");
        Assert.Equal(image.Manifest.Digest, referrer.Subject!.Digest);
        Assert.Equal(Digest.Of(sbom), Assert.Single(referrer.Layers).Digest);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(sbom), Oci("sbom", $"oci:{output}:{image.Tag}").Output);
        // The same way back: encrypting the decrypted layout attaches it to the new encrypted manifest, and decrypting
        // that gives the very referrer the first decryption wrote (what SbomReferrer writes for the plain image).
        var reencrypted = Engine.Encrypt(image with { PlainLayout = output }, _temp, ["jwe:" + pub], name: "reenc");
        var reencryptedManifest = LayoutAssert.ReadImage(reencrypted, image.Tag).Entry.Digest;
        Assert.Equal(new[] { image.Tag, AttachedObjects.ReferrersTag(reencryptedManifest) }.Order(StringComparer.Ordinal), OciLayout.Open(reencrypted).Tags().Order(StringComparer.Ordinal));
        var roundTrip = OciLayout.Open(Engine.Decrypt(reencrypted, _temp, [key]));
        Assert.Equal(decrypted.FindManifest(AttachedObjects.ReferrersTag(image.Manifest.Digest)).Digest,
            roundTrip.FindManifest(AttachedObjects.ReferrersTag(image.Manifest.Digest)).Digest);

        // --force replaces the foreign folder on purpose.
        var forced = Oci("decrypt", $"oci:{encrypted}", "-o", foreign, "--key", key, "--force");
        Assert.True(forced.Exit == 0, forced.Error);
        Assert.False(File.Exists(Path.Combine(foreign, "holiday.jpg")));
        LayoutAssert.SameImage(image.ManifestDocument, foreign, image.Tag);
    }

    [Fact]
    public void An_inline_passphrase_is_refused_and_not_echoed_and_pass_env_works()
    {
        var image = TestImage.Build(_temp, dataSize: 10_000);
        var gpg = Tools.Gpg(_temp, "heidi", passphrase: "Zebra-Quartz-81");
        var encrypted = Engine.Encrypt(image, _temp, ["pgp:" + gpg.PublicArmored]);

        var (exit, output, error) = Oci("decrypt", $"oci:{encrypted}", "-o", _temp.Combine("a"), "--key", gpg.SecretBinary + ":pass=Zebra-Quartz-81");
        Assert.Equal(1, exit);
        Assert.Contains(ErrorCodes.InlinePassphrase, error);
        Assert.DoesNotContain("Zebra-Quartz-81", output + error);

        const string variable = "OCI_BUILD_TEST_DECRYPT_PASSPHRASE";
        Environment.SetEnvironmentVariable(variable, "Zebra-Quartz-81");
        try
        {
            var ok = Oci("decrypt", $"oci:{encrypted}", "-o", _temp.Combine("b"), "--key", $"{gpg.SecretBinary}:pass-env={variable}");
            Assert.True(ok.Exit == 0, ok.Error);
            Assert.DoesNotContain("Zebra-Quartz-81", ok.Output + ok.Error);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
