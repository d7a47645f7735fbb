using System.Text.Json;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transfer;
using Oci.Build.Sbom;
using Oci.Build.Signing;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;
using Oci.Build.Tests.Sbom;

namespace Oci.Build.Tests.Signing;

/// <summary>
/// <c>dotnet oci verify docker://HOST/REPO:TAG --key PUB.pem</c> (and <c>--policy</c>) against a real registry: an image
/// signed and pushed with its SBOM by the build's push, the same image with a tampered signature, and an unsigned one.
/// </summary>
public sealed partial class SignedPushTests
{
    [Fact]
    public async Task Verify_checks_a_registry_images_signature_and_its_sboms_offline_and_refuses_unsigned_tampered_and_other_keys_and_inspect_shows_them()
    {
        var (layout, image, _) = AppImageWithSbom("verify", "3.0");
        var pusher = new LayoutPusher(fixture.Harness.Settings, fixture.Harness.Log);
        using (var signer = SigningKeys.Open(fixture.Keys.Pkcs8, "/"))
        {
            pusher.Push(new LayoutPushRequest { LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/verify", Tags = ["3.0"], Signing = new SigningOptions(signer) });
            pusher.Push(new LayoutPushRequest { LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/verify-tampered", Tags = ["3.0"], Signing = new SigningOptions(signer) });
        }
        pusher.Push(new LayoutPushRequest { LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/verify-unsigned", Tags = ["3.0"] });
        var signed = $"docker://{fixture.Build.Host}/trust/verify:3.0";

        // Signed: the image under its tag and the SBOM referrer by digest, both with the key; every blob read too.
        var (exit, output, error) = DotnetOci.Run("verify", signed, "--key", fixture.Keys.Public, "--json");
        Assert.True(exit == 0, error);
        using (var result = JsonDocument.Parse(output))
        {
            Assert.True(result.RootElement.GetProperty("valid").GetBoolean());
            Assert.Equal(image.Digest.ToString(), result.RootElement.GetProperty("digest").GetString());
            var checkedRoles = result.RootElement.GetProperty("signatures").EnumerateArray()
                .Select(s => (Role: s.GetProperty("role").GetString(), Verified: s.GetProperty("verified").GetBoolean())).ToList();
            Assert.Equal([("image", true), ("SBOM", true)], checkedRoles);
            Assert.True(result.RootElement.GetProperty("blobs").GetInt32() > 2);
        }
        // inspect shows, for the image in the registry, the signature (the names it claims, unverified) and the SBOM referrer.
        var inspect = DotnetOci.Run("inspect", signed);
        Assert.True(inspect.Exit == 0, inspect.Error);
        using (var inspected = JsonDocument.Parse(inspect.Output))
        {
            var attached = Assert.Single(inspected.RootElement.GetProperty("images").EnumerateArray()).GetProperty("attached");
            Assert.Equal($"{fixture.Build.Host}/trust/verify:3.0", Assert.Single(attached.GetProperty("signatures").GetProperty("claimedNames").EnumerateArray()).GetString());
            Assert.Equal(SpdxDocument.MediaType, Assert.Single(attached.GetProperty("sboms").EnumerateArray()).GetProperty("artifactType").GetString());
        }

        // The site's policy.json says the same (the scope is the registry's repository prefix).
        var policy = fixture.Harness.Combine("verify-policy.json");
        File.WriteAllText(policy, $$$$$$"""
            {"default": [{"type": "reject"}],
             "transports": {"docker": {"{{{{{{fixture.Build.Host}}}}}}/trust": [{"type": "sigstoreSigned", "keyPath": "{{{{{{fixture.Keys.Public}}}}}}"}]}}}
            """);
        var byPolicy = DotnetOci.Run("verify", signed, "--policy", policy);
        Assert.True(byPolicy.Exit == 0, byPolicy.Error);
        Assert.Contains("signatures of image and SBOM verified", byPolicy.Output);

        // Another key: neither verifies (OCI3034), exit 1.
        var other = DotnetOci.Run("verify", signed, "--key", fixture.Keys.OtherPublic);
        Assert.Equal(1, other.Exit);
        Assert.Contains($"error {ErrorCodes.SignatureInvalid}: image {image.Digest}", other.Error);
        Assert.Contains($"error {ErrorCodes.SignatureInvalid}: SBOM sha256:", other.Error);

        // Unsigned: no sha256-HEX.sig for the image nor for its SBOM (OCI3035).
        var unsigned = DotnetOci.Run("verify", $"docker://{fixture.Build.Host}/trust/verify-unsigned:3.0", "--key", fixture.Keys.Public);
        Assert.Equal(1, unsigned.Exit);
        Assert.Contains($"error {ErrorCodes.SignatureMissing}: image {image.Digest}", unsigned.Error);
        Assert.Contains($"error {ErrorCodes.SignatureMissing}: SBOM sha256:", unsigned.Error);

        // Tampered: the image's signature layer carries the signature of another payload; the SBOM's stays good.
        var client = Client(fixture.Build);
        var tag = AttachedObjects.SignatureTag(image.Digest);
        var original = OciJson.Deserialize<ImageManifest>(
            (await client.GetManifestAsync("trust/verify-tampered", tag, [RegistryScope.Pull("trust/verify-tampered")], CancellationToken.None)).Content, "signature manifest");
        using (var signer = SigningKeys.Open(fixture.Keys.Pkcs8, "/"))
        {
            var forgedSignature = CosignSignature.Create(signer, Digest.Of("another image"u8), [$"{fixture.Build.Host}/trust/verify-tampered:3.0"])
                .Blobs[1].Descriptor.Annotation(CosignSignature.SignatureAnnotation)!;
            var content = OciJson.Serialize(original with { Layers = [original.Layers[0].WithAnnotation(CosignSignature.SignatureAnnotation, forgedSignature)] });
            using var sink = new RegistrySink(client, "trust/verify-tampered", [], fixture.Harness.Log);
            await sink.PutManifestAsync(new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Of(content), Size = content.Length }, content, [tag], CancellationToken.None);
        }
        var tampered = DotnetOci.Run("verify", $"docker://{fixture.Build.Host}/trust/verify-tampered:3.0", "--key", fixture.Keys.Public, "--json");
        Assert.Equal(1, tampered.Exit);
        Assert.Contains($"error {ErrorCodes.SignatureInvalid}: image {image.Digest}", tampered.Error);
        using (var result = JsonDocument.Parse(tampered.Output))
            Assert.Equal([false, true], result.RootElement.GetProperty("signatures").EnumerateArray().Select(s => s.GetProperty("verified").GetBoolean()));

        // The image signed, its SBOM not (signed by another tool that knows nothing of referrers): the SBOM alone is refused.
        pusher.Push(new LayoutPushRequest { LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/verify-sbom-unsigned", Tags = ["3.0"] });
        using (var signer = SigningKeys.Open(fixture.Keys.Pkcs8, "/"))
        using (var sink = new RegistrySink(client, "trust/verify-sbom-unsigned", [], fixture.Harness.Log))
            await CosignSignature.Create(signer, image.Digest, [$"{fixture.Build.Host}/trust/verify-sbom-unsigned:3.0"]).PutAsync(sink, CancellationToken.None);
        var sbomUnsigned = DotnetOci.Run("verify", $"docker://{fixture.Build.Host}/trust/verify-sbom-unsigned:3.0", "--key", fixture.Keys.Public);
        Assert.Equal(1, sbomUnsigned.Exit);
        Assert.Contains($"error {ErrorCodes.SignatureMissing}: SBOM sha256:", sbomUnsigned.Error);
        Assert.DoesNotContain(": image ", sbomUnsigned.Error);

        // The identity counts too: the signature names trust/verify:3.0, not the same digest under another tag.
        pusher.Push(new LayoutPushRequest { LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/verify", Tags = ["renamed"] });
        var renamed = DotnetOci.Run("verify", $"docker://{fixture.Build.Host}/trust/verify:renamed", "--key", fixture.Keys.Public);
        Assert.Equal(1, renamed.Exit);
        Assert.Contains($"error {ErrorCodes.PolicyRejected}: image {image.Digest}", renamed.Error);
    }
}
