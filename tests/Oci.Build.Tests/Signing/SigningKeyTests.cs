using System.Text;
using Oci.Build.Oci;
using Oci.Build.Signing;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Signing;

/// <summary>The signing engine without a registry: payloads, keys as openssl writes them, and every kind of bad key.</summary>
public sealed class SigningKeyTests(SigningKeyFiles keys) : IClassFixture<SigningKeyFiles>
{
    private static readonly Digest Image = Digest.Of("image"u8);

    [Fact]
    public void The_payload_is_exactly_the_simple_signing_shape_containers_image_parses_strictly()
    {
        var payload = Encoding.UTF8.GetString(new SimpleSigningPayload("registry.example/team/app:1.0", Image).ToBytes());
        Assert.Equal("{\"critical\":{\"identity\":{\"docker-reference\":\"registry.example/team/app:1.0\"},\"image\":{\"docker-manifest-digest\":\"" + Image +
                     "\"},\"type\":\"cosign container image signature\"},\"optional\":null}", payload);
        Assert.Equal(new SimpleSigningPayload("registry.example/team/app:1.0", Image), SimpleSigningPayload.TryParse(Encoding.UTF8.GetBytes(payload)));
    }

    [Theory]
    [InlineData("pkcs8")]
    [InlineData("sec1")]
    [InlineData("encrypted")]
    public void Keys_as_openssl_writes_them_sign_signatures_that_openssl_verifies(string kind)
    {
        var path = kind switch { "pkcs8" => keys.Pkcs8, "sec1" => keys.Sec1, _ => keys.Encrypted };
        Environment.SetEnvironmentVariable(SigningKeys.PasswordVariable, kind == "encrypted" ? SigningKeyFiles.Password : null);
        try
        {
            using var signer = SigningKeys.Open(path, "/");
            var artifact = CosignSignature.Create(signer, Image, ["registry.example/app:1"]);
            var layer = artifact.Blobs.Single(b => b.Descriptor.MediaType == SimpleSigningPayload.MediaType);
            var signature = Convert.FromBase64String(layer.Descriptor.Annotation(CosignSignature.SignatureAnnotation)!);
            var payloadFile = keys.Combine($"payload-{kind}.json");
            var signatureFile = keys.Combine($"signature-{kind}.der");
            var publicFile = keys.Combine($"public-{kind}.pem");
            File.WriteAllBytes(payloadFile, layer.Content);
            File.WriteAllBytes(signatureFile, signature);
            ProcessRunner.Run("openssl", ["pkey", "-in", kind == "sec1" ? keys.Sec1 : keys.Pkcs8, "-pubout", "-out", publicFile]).EnsureSuccess("openssl pkey");
            var verify = ProcessRunner.Run("openssl", ["dgst", "-sha256", "-verify", publicFile, "-signature", signatureFile, payloadFile]);
            Assert.True(verify.ExitCode == 0, verify.Output);
            Assert.Equal(AttachedObjectsTag(Image), artifact.Tag);
        }
        finally
        {
            Environment.SetEnvironmentVariable(SigningKeys.PasswordVariable, null);
        }
    }

    [Fact]
    public void Bad_keys_are_refused_with_codes_that_say_what_to_do()
    {
        Assert.Equal(ErrorCodes.SigningKeyUnreadable, Code(() => SigningKeys.Open(keys.Combine("missing.key"), "/")));
        var rsa = Assert.Throws<OciException>(() => SigningKeys.Open(keys.Rsa, "/"));
        Assert.Equal(ErrorCodes.SigningKeyType, rsa.Code);
        Assert.Contains("RSA", rsa.Message);
        var p384 = Assert.Throws<OciException>(() => SigningKeys.Open(keys.P384, "/"));
        Assert.Equal(ErrorCodes.SigningKeyType, p384.Code);
        Assert.Contains("P-256", p384.Message);
        Assert.Equal(ErrorCodes.SigningKeyType, Code(() => SigningKeys.Open(keys.Public, "/")));
        Assert.Equal(ErrorCodes.SigningKeyPassword, Code(() => SigningKeys.Open(keys.Encrypted, "/")));
        Environment.SetEnvironmentVariable(SigningKeys.PasswordVariable, "n0t-the-Passw0rd");
        try
        {
            var wrong = Assert.Throws<OciException>(() => SigningKeys.Open(keys.Encrypted, "/"));
            Assert.Equal(ErrorCodes.SigningKeyPassword, wrong.Code);
            Assert.DoesNotContain("n0t-the-Passw0rd", wrong.Message); // the password is never in a message
        }
        finally
        {
            Environment.SetEnvironmentVariable(SigningKeys.PasswordVariable, null);
        }
        Assert.Equal(ErrorCodes.VerificationKeyUnreadable, Code(() => SigningKeys.ReadPublicKey(keys.Pkcs8)));
        Assert.Equal(ErrorCodes.VerificationKeyUnreadable, Code(() => SigningKeys.ReadPublicKey(keys.P384Public)));
        Assert.Equal(ErrorCodes.SignerFailed, Code(() => SigningKeys.Open("provider:not-installed-anywhere", "/")));
        Assert.Equal(ErrorCodes.SignerFailed, Code(() => SigningKeys.Open("provider:bad/name", "/")));
    }

    [Fact]
    public void A_signer_program_whose_signatures_do_not_match_its_public_key_fails_before_anything_is_used()
    {
        var directory = keys.SignerDirectory("mismatched", signKey: keys.Other, publicKeyOf: keys.Pkcs8);
        using var signer = SigningKeys.Open("provider:mismatched", "/", directory);
        Assert.Equal(ErrorCodes.SignatureInvalid, Code(() => CosignSignature.Create(signer, Image, ["registry.example/app:1"])));
    }

    private static string AttachedObjectsTag(Digest digest) => $"sha256-{digest.Hex}.sig";

    private static string Code(Func<object> action) => Assert.Throws<OciException>(action).Code;
}
