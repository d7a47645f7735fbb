using Oci.Build.Oci;
using Oci.Build.Signing;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Signing;

/// <summary>
/// The containers-policy.json subset of <c>--policy</c>, without a registry: identities as containers/image's
/// signedIdentity documents them, scope selection, and every policy it cannot check refused with a code, never ignored.
/// (Signatures themselves are checked against real archives and registries in <see cref="SignedPushTests"/>.)
/// </summary>
public sealed class SignaturePolicyTests : IDisposable
{
    private readonly TempDirectory _work = new("policy");

    [Theory]
    [InlineData("matchRepoDigestOrExact", "reg.example/team/app:1.0", "reg.example/team/app:1.0", true)]
    [InlineData("matchRepoDigestOrExact", "reg.example/team/app:1.0", "reg.example/team/app:2.0", false)]
    [InlineData("matchRepoDigestOrExact", "reg.example/team/app@sha256:" + Hex, "reg.example/team/app:2.0", true)]
    [InlineData("matchRepoDigestOrExact", "reg.example/team/app@sha256:" + Hex, "reg.example/team/other:2.0", false)]
    [InlineData("matchExact", "reg.example/team/app:1.0", "reg.example/team/app:1.0", true)]
    [InlineData("matchExact", "reg.example/team/app@sha256:" + Hex, "reg.example/team/app:1.0", false)]
    [InlineData("matchRepository", "reg.example/team/app:1.0", "reg.example/team/app:9", true)]
    [InlineData("matchRepository", "reg.example/team/app:1.0", "other.example/team/app:1.0", false)]
    public void Identities_match_as_containers_image_documents_them(string type, string image, string signed, bool matches) =>
        Assert.Equal(matches, new SignedIdentity(type).Matches(ImageReference.Parse(image), signed));

    [Fact]
    public void RemapIdentity_compares_the_site_name_under_the_signed_prefix_and_other_names_as_they_are()
    {
        var remap = new SignedIdentity("remapIdentity", Prefix: "site.example/site-a", SignedPrefix: "build.example");
        Assert.True(remap.Matches(ImageReference.Parse("site.example/site-a/team/app:1.0"), "build.example/team/app:1.0"));
        Assert.False(remap.Matches(ImageReference.Parse("site.example/site-a/team/app:1.0"), "site.example/site-a/team/app:2.0"));
        // "site-ab" is not under the prefix "site-a": compared unchanged.
        Assert.False(remap.Matches(ImageReference.Parse("site.example/site-ab/team/app:1.0"), "build.example/b/team/app:1.0"));
        Assert.True(remap.Matches(ImageReference.Parse("other.example/team/app:1.0"), "other.example/team/app:1.0"));
        Assert.True(new SignedIdentity("exactReference", Reference: "build.example/team/app:1.0").Matches(ImageReference.Parse("x.example/y:z"), "build.example/team/app:1.0"));
        Assert.True(new SignedIdentity("exactRepository", Reference: "build.example/team/app").Matches(ImageReference.Parse("x.example/y:z"), "build.example/team/app:3"));
    }

    [Fact]
    public async Task The_most_specific_docker_scope_applies_and_the_default_otherwise()
    {
        using var policy = SignaturePolicy.Load(Write("""
            {"default": [{"type": "reject"}],
             "transports": {"docker": {"reg.example/team": [{"type": "insecureAcceptAnything"}],
                                       "reg.example/team/app:2": [{"type": "reject"}],
                                       "*.mirror.example": [{"type": "insecureAcceptAnything"}]},
                            "oci": {"": [{"type": "reject"}]}}}
            """));
        // Accept and reject never read the source: no image is needed to see which scope applies.
        async Task<string?> Outcome(string reference)
        {
            try
            {
                await policy.CheckAsync(null!, new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Parse("sha256:" + Hex), Size = 1 },
                    ImageReference.Parse(reference), CancellationToken.None);
                return null;
            }
            catch (OciException ex)
            {
                return ex.Code;
            }
        }
        Assert.Null(await Outcome("reg.example/team/app:1"));
        Assert.Null(await Outcome("reg.example/team/sub/tool:1"));
        Assert.Equal(ErrorCodes.PolicyRejected, await Outcome("reg.example/team/app:2"));
        Assert.Equal(ErrorCodes.PolicyRejected, await Outcome("reg.example/teams/app:1"));
        Assert.Null(await Outcome("eu.mirror.example/team/app:1"));
        Assert.Equal(ErrorCodes.PolicyRejected, await Outcome("mirror.example/team/app:1"));
    }

    [Theory]
    [InlineData("""{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k.gpg"}]}""", ErrorCodes.PolicyUnsupported)]
    [InlineData("""{"default": [{"type": "sigstoreSigned", "fulcio": {"caPath": "/ca.pem"}}]}""", ErrorCodes.PolicyUnsupported)]
    [InlineData("""{"default": [{"type": "sigstoreSigned", "keyPath": "KEY", "rekorPublicKeyPath": "/rekor.pub"}]}""", ErrorCodes.PolicyUnsupported)]
    [InlineData("""{"default": [{"type": "sigstoreSigned", "keyPath": "KEY", "signedIdentity": {"type": "matchEverything"}}]}""", ErrorCodes.PolicyUnsupported)]
    [InlineData("""{"default": [{"type": "insecureAcceptAnything"}], "unknown": true}""", ErrorCodes.PolicyUnsupported)]
    [InlineData("""{"default": [{"type": "sigstoreSigned", "keyPath": "KEY", "signedIdentity": {"type": "remapIdentity", "prefix": "a.example"}}]}""", ErrorCodes.PolicyUnreadable)]
    [InlineData("""{"transports": {}}""", ErrorCodes.PolicyUnreadable)]
    [InlineData("""{"default": []}""", ErrorCodes.PolicyUnreadable)]
    [InlineData("""{"default": [""", ErrorCodes.PolicyUnreadable)]
    [InlineData("""{"default": [{"type": "sigstoreSigned", "keyData": "bm90IGEga2V5"}]}""", ErrorCodes.VerificationKeyUnreadable)]
    public void A_policy_it_cannot_check_fully_is_refused_with_a_code(string json, string code)
    {
        var key = _work.Combine("cosign.pub");
        if (json.Contains("KEY", StringComparison.Ordinal)) ProcessRunner.Run("sh", "-c", $"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 | openssl pkey -pubout -out '{key}'").EnsureSuccess("openssl");
        var error = Assert.Throws<OciException>(() => SignaturePolicy.Load(Write(json.Replace("KEY", key))).Dispose());
        Assert.Equal(code, error.Code);
    }

    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private string Write(string json)
    {
        var path = _work.Combine($"policy-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    public void Dispose() => _work.Dispose();
}
