using System.Text.Json;
using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Layout;
using Oci.Build.Registry;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transfer;
using Oci.Build.Sbom;
using Oci.Build.Tests.Sbom;
using Oci.Build.Signing;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Signing;

/// <summary>Two real registries (the build's and a site's), keys from openssl, and one small image built in-process.</summary>
public sealed class SignedRegistries : IDisposable
{
    public SigningKeyFiles Keys { get; } = new();
    public EngineHarness Harness { get; } = new();
    public RegistryServer Build { get; } = new();
    public RegistryServer Site { get; } = new();
    public string Layout { get; }

    public SignedRegistries()
    {
        Layout = Harness.Combine("image");
        TestImages.Base(Harness.Work, Layout, Harness.Combine("build-cache"), 4 * 1024, tag: "1.0");
    }

    public LayoutPushResult Push(string repository, IImageSigner? signer, params string[] tags) =>
        new LayoutPusher(Harness.Settings, Harness.Log).Push(new LayoutPushRequest
        {
            LayoutPath = Layout,
            Registry = Build.Host,
            Repository = repository,
            Tags = tags,
            Signing = signer is null ? null : new SigningOptions(signer),
        });

    public void Dispose()
    {
        Site.Dispose();
        Build.Dispose();
        Harness.Dispose();
        Keys.Dispose();
    }
}

/// <summary>
/// The oracle for signatures is cosign's offline key check done with other tools (<see cref="CosignCheck"/>: skopeo, jq,
/// openssl, containers/image's identity rules): it accepts what we sign and push, refuses unsigned and tampered images
/// and other keys' signatures, and accepts them after relocation to another registry when the identity is remapped.
/// </summary>
public sealed partial class SignedPushTests(SignedRegistries fixture) : IClassFixture<SignedRegistries>
{
    private SigningKeyFiles Keys => fixture.Keys;

    [Fact]
    public async Task A_signed_push_verifies_and_an_unsigned_one_or_another_keys_does_not()
    {
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        var signed = fixture.Push("trust/signed", signer, "1.0");
        fixture.Push("trust/unsigned", null, "1.0");
        Assert.Contains($"Signed {fixture.Build.Host}/trust/signed@sha256-{signed.ManifestDigest.Hex}.sig", fixture.Harness.Log.Text);

        var accepted = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/signed:1.0");
        Assert.True(accepted.ExitCode == 0, accepted.Output);
        Assert.Contains($"signed as {fixture.Build.Host}/trust/signed:1.0", accepted.StandardOutput);
        // By digest: matchRepoDigestOrExact accepts a signature made for a tag of the same repository.
        Assert.Equal(0, CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/signed@{signed.ManifestDigest}").ExitCode);
        // Another tag of the same digest was not signed: refused, as containers/image refuses it.
        fixture.Push("trust/signed", null, "other");
        Assert.NotEqual(0, CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/signed:other").ExitCode);

        var unsigned = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/unsigned:1.0");
        Assert.NotEqual(0, unsigned.ExitCode);
        Assert.Contains("no signature", unsigned.Output);
        var otherKey = CosignCheck.Verify(Keys.OtherPublic, $"{fixture.Build.Host}/trust/signed:1.0");
        Assert.NotEqual(0, otherKey.ExitCode);
        Assert.Contains("does not verify", otherKey.Output);

        // Our own verifier agrees, with the same keys.
        using var source = new RegistrySource(Client(fixture.Build), "trust/signed");
        using var publicKey = SigningKeys.ReadPublicKey(Keys.Public);
        var verified = await SignatureVerifier.VerifyAsync(source, Root(signed), publicKey, CancellationToken.None);
        Assert.Equal($"{fixture.Build.Host}/trust/signed:1.0", Assert.Single(verified).DockerReference);
        using var otherPublic = SigningKeys.ReadPublicKey(Keys.OtherPublic);
        Assert.Equal(ErrorCodes.SignatureInvalid, (await Assert.ThrowsAsync<OciException>(() =>
            SignatureVerifier.VerifyAsync(source, Root(signed), otherPublic, CancellationToken.None))).Code);
    }

    [Fact]
    public async Task An_image_whose_signature_was_tampered_with_is_refused()
    {
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        var pushed = fixture.Push("trust/tampered", signer, "1.0");
        var tag = AttachedObjects.SignatureTag(pushed.ManifestDigest);
        var client = Client(fixture.Build);
        var original = await client.GetManifestAsync("trust/tampered", tag, [RegistryScope.Pull("trust/tampered")], CancellationToken.None);
        var manifest = OciJson.Deserialize<ImageManifest>(original.Content, "signature manifest");
        // The same payload with the signature of another payload: what an attacker who copied a signature would present.
        var other = CosignSignature.Create(signer, Digest.Of("another image"u8), [$"{fixture.Build.Host}/trust/tampered:1.0"]);
        var forged = manifest with
        {
            Layers = [manifest.Layers[0].WithAnnotation(CosignSignature.SignatureAnnotation,
                other.Blobs[1].Descriptor.Annotation(CosignSignature.SignatureAnnotation)!)],
        };
        var content = OciJson.Serialize(forged);
        using (var sink = new RegistrySink(client, "trust/tampered", [], fixture.Harness.Log))
            await sink.PutManifestAsync(new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Of(content), Size = content.Length }, content, [tag], CancellationToken.None);

        var refused = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/tampered:1.0");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("does not verify", refused.Output);
        using var source = new RegistrySource(client, "trust/tampered");
        using var publicKey = SigningKeys.ReadPublicKey(Keys.Public);
        Assert.Equal(ErrorCodes.SignatureInvalid, (await Assert.ThrowsAsync<OciException>(() =>
            SignatureVerifier.VerifyAsync(source, Root(pushed), publicKey, CancellationToken.None))).Code);
    }

    [Fact]
    public void A_key_held_by_a_signer_program_signs_what_verifies_and_a_failing_signer_pushes_nothing()
    {
        var good = Keys.SignerDirectory("testkms", signKey: Keys.Pkcs8, publicKeyOf: Keys.Pkcs8);
        var bad = Keys.SignerDirectory("brokenkms", signKey: Keys.Other, publicKeyOf: Keys.Pkcs8);
        // The signer programs are found on a search path of their own (PATH's syntax): no process-wide PATH change.
        var searchPath = string.Join(Path.PathSeparator, good, bad, Environment.GetEnvironmentVariable("PATH"));
        using (var signer = SigningKeys.Open("provider:testkms", "/", searchPath))
            fixture.Push("trust/provider", signer, "1.0");
        var accepted = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/provider:1.0");
        Assert.True(accepted.ExitCode == 0, accepted.Output);

        using var broken = SigningKeys.Open("provider:brokenkms", "/", searchPath);
        Assert.Equal(ErrorCodes.SignatureInvalid, Assert.Throws<OciException>(() => fixture.Push("trust/never", broken, "1.0")).Code);
        var inspect = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{fixture.Build.Host}/trust/never:1.0");
        Assert.NotEqual(0, inspect.ExitCode); // never an unsigned push when signing was asked for
    }

    [Fact]
    public void Through_msbuild_ContainerSigningKey_signs_the_push_and_an_unreadable_key_is_a_coded_error_with_nothing_pushed()
    {
        using var sample = new SampleProject();
        ProcessResult PushLayout(string repository, string key) => ProcessRunner.Run("dotnet",
            ["msbuild", sample.ProjectFile, "-nodeReuse:false", "-v:n", "-t:OciPushLayout", $"-p:Configuration={TasksConfiguration}",
             $"-p:ContainerImageLayoutPath={fixture.Layout}", $"-p:ContainerRegistry={fixture.Build.Host}", $"-p:ContainerRepository={repository}",
             "-p:ContainerImageTags=1.0", $"-p:ContainerSigningKey={key}"],
            sample.Directory,
            new Dictionary<string, string?>
            {
                ["OCI_BUILD_CACHE"] = fixture.Harness.Combine("msbuild-cache"),
                ["DOCKER_CONFIG"] = fixture.Harness.Combine("no-docker-config"),
                ["MSBUILDDISABLENODEREUSE"] = "1",
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
            },
            timeout: TimeSpan.FromMinutes(3));

        var missing = PushLayout("trust/msbuild-missing", Keys.Combine("no-such.key"));
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains($"error {ErrorCodes.SigningKeyUnreadable}", missing.Output);
        Assert.NotEqual(0, ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{fixture.Build.Host}/trust/msbuild-missing:1.0").ExitCode);

        var signed = PushLayout("trust/msbuild", Keys.Sec1);
        Assert.True(signed.ExitCode == 0, signed.Output);
        var verified = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/msbuild:1.0");
        Assert.NotEqual(0, verified.ExitCode); // signed with the SEC1 key, not cosign.key: the public key must be the signer's
        Assert.Equal(0, CosignCheck.Verify(Keys.Sec1Public, $"{fixture.Build.Host}/trust/msbuild:1.0").ExitCode);
    }

#if DEBUG
    private const string TasksConfiguration = "Debug";
#else
    private const string TasksConfiguration = "Release";
#endif

    [Fact]
    public void Signatures_travel_with_relocation_and_the_copy_command_and_verify_at_the_site_with_the_identity_remapped()
    {
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        var pushed = fixture.Push("team/app", signer, "1.0");
        var root = Root(pushed);
        var image = new CnabImage
        {
            Image = $"{fixture.Build.Host}/team/app:1.0@{root.Digest}", ContentDigest = root.Digest.ToString(), Size = root.Size, MediaType = root.MediaType,
        };
        var bundle = new CnabBundle { Name = "shop", Version = "1.0.0", InvocationImages = [image], Images = new Dictionary<string, CnabImage> { ["app"] = image } };
        new BundleRelocator(fixture.Harness.Settings, fixture.Harness.Log).Relocate(new RelocationRequest
        {
            Bundle = bundle,
            Target = RelocationTarget.Parse($"{fixture.Site.Host}/site-a"),
            MappingPath = fixture.Harness.Combine("relocation-mapping.json"),
        });
        var mapping = File.ReadAllText(fixture.Harness.Combine("relocation-mapping.json"));
        Assert.Contains($"{fixture.Site.Host}/site-a/team/app@{root.Digest}", mapping);

        // Under its new name the signature names the old one: the site's policy says which prefix it trusts as which.
        var accepted = CosignCheck.Verify(Keys.Public, $"{fixture.Site.Host}/site-a/team/app:1.0", remap: $"{fixture.Site.Host}/site-a={fixture.Build.Host}");
        Assert.True(accepted.ExitCode == 0, accepted.Output);
        var strict = CosignCheck.Verify(Keys.Public, $"{fixture.Site.Host}/site-a/team/app:1.0");
        Assert.NotEqual(0, strict.ExitCode);
        Assert.Contains("signed for", strict.Output);

        // dotnet oci copy carries them too (to a layout and on to the site's registry under another name).
        var layout = fixture.Harness.Combine("carried");
        Assert.Equal(0, DotnetOci.Run("copy", $"docker://{fixture.Build.Host}/team/app:1.0", $"oci:{layout}:1.0").Exit);
        Assert.Contains(AttachedObjects.SignatureTag(root.Digest), OciLayout.Open(layout).Tags());
        var inspected = JsonDocument.Parse(DotnetOci.Run("inspect", $"oci:{layout}").Output).RootElement;
        var claimed = Assert.Single(inspected.GetProperty("images").EnumerateArray()).GetProperty("attached").GetProperty("signatures").GetProperty("claimedNames");
        Assert.Equal($"{fixture.Build.Host}/team/app:1.0", Assert.Single(claimed.EnumerateArray()).GetString());
        Assert.Equal(0, DotnetOci.Run("copy", $"oci:{layout}:1.0", $"docker://{fixture.Site.Host}/site-b/team/app:1.0").Exit);
        var acceptedB = CosignCheck.Verify(Keys.Public, $"{fixture.Site.Host}/site-b/team/app:1.0", remap: $"{fixture.Site.Host}/site-b={fixture.Build.Host}");
        Assert.True(acceptedB.ExitCode == 0, acceptedB.Output);

        // --skip-attached copies the image alone, as skopeo does: the same digest, and no signature beside it.
        var bare = fixture.Harness.Combine("bare");
        Assert.Equal(0, DotnetOci.Run("copy", "--skip-attached", $"docker://{fixture.Build.Host}/team/app:1.0", $"oci:{bare}:1.0").Exit);
        var bareLayout = OciLayout.Open(bare);
        Assert.Equal(new[] { "1.0" }, bareLayout.Tags());
        Assert.Equal(root.Digest, Assert.Single(bareLayout.Index.Manifests).Digest);
    }

    [Fact]
    public async Task An_sbom_in_the_layout_is_pushed_as_a_referrer_under_the_fallback_tag_found_by_it_and_signed_like_the_image()
    {
        var (layout, image, sbom) = AppImageWithSbom("sbom", "2.0");
        using (var signer = SigningKeys.Open(Keys.Pkcs8, "/"))
            new LayoutPusher(fixture.Harness.Settings, fixture.Harness.Log).Push(new LayoutPushRequest
            {
                LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/sbom", Tags = ["2.0"], Signing = new SigningOptions(signer),
            });

        // What the registry stores: no referrers API (distribution 2.8), so the index under the referrers tag.
        var api = $"http://{fixture.Build.Host}/v2/trust/sbom";
        Assert.Equal("404", Curl("-s", "-o", "/dev/null", "-w", "%{http_code}", $"{api}/referrers/{image.Digest}"));
        var fallback = JsonDocument.Parse(Curl("-sf", "-H", $"Accept: {MediaTypes.OciIndex}", $"{api}/manifests/{AttachedObjects.ReferrersTag(image.Digest)}")).RootElement;
        var entry = fallback.GetProperty("manifests").EnumerateArray().Single(m => m.GetProperty("artifactType").GetString() == "application/spdx+json");
        // oras-style discovery: the fallback tag's entry -> the artifact manifest (subject = the image) -> its layer is the SBOM.
        var referrer = JsonDocument.Parse(Curl("-sf", "-H", $"Accept: {MediaTypes.OciManifest}", $"{api}/manifests/{entry.GetProperty("digest").GetString()}")).RootElement;
        Assert.Equal(image.Digest.ToString(), referrer.GetProperty("subject").GetProperty("digest").GetString());
        Assert.Equal("application/spdx+json", referrer.GetProperty("artifactType").GetString());
        var layer = referrer.GetProperty("layers")[0].GetProperty("digest").GetString();
        Assert.Equal(System.Text.Encoding.UTF8.GetString(sbom).TrimEnd('\n'), Curl("-sf", $"{api}/blobs/{layer}"));
        using (var source = new RegistrySource(Client(fixture.Build), "trust/sbom"))
            Assert.Equal(sbom, await SbomReferrer.FindAsync(source, image, CancellationToken.None));
        var printed = DotnetOci.Run("sbom", $"docker://{fixture.Build.Host}/trust/sbom:2.0");
        Assert.True(printed.Exit == 0, printed.Error);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(sbom), printed.Output);

        // A push of the layout's own tags treats the referrers tag as what it is: attached to the image, not an image.
        using (var signer = SigningKeys.Open(Keys.Pkcs8, "/"))
        {
            var all = new LayoutPusher(fixture.Harness.Settings, fixture.Harness.Log).Push(new LayoutPushRequest
            {
                LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/sbom-all", Signing = new SigningOptions(signer),
            });
            Assert.Equal([$"{fixture.Build.Host}/trust/sbom-all:2.0"], all.References);
        }
        Assert.Equal(entry.GetProperty("digest").GetString(), JsonDocument.Parse(Curl("-sf", "-H", $"Accept: {MediaTypes.OciIndex}",
            $"http://{fixture.Build.Host}/v2/trust/sbom-all/manifests/{AttachedObjects.ReferrersTag(image.Digest)}")).RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString());

        // Signed like the image: the SBOM manifest by digest, the image by tag.
        var signedSbom = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/sbom@{entry.GetProperty("digest").GetString()}");
        Assert.True(signedSbom.ExitCode == 0, signedSbom.Output);
        Assert.Equal(0, CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/sbom:2.0").ExitCode);
    }

    [Fact]
    public void A_bundle_pushed_with_a_key_is_signed_and_its_images_bring_their_signatures_into_the_bundle_repository()
    {
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        var pushed = fixture.Push("team/bundled-app", signer, "1.0");
        var root = Root(pushed);
        var image = new CnabImage
        {
            Image = $"{fixture.Build.Host}/team/bundled-app:1.0@{root.Digest}", ContentDigest = root.Digest.ToString(), Size = root.Size, MediaType = root.MediaType,
        };
        var bundle = new CnabBundle { Name = "signed-shop", Version = "1.0.0", InvocationImages = [image], Images = new Dictionary<string, CnabImage> { ["app"] = image } };
        new BundlePusher(fixture.Harness.Settings, fixture.Harness.Log).Push(new BundlePushRequest
        {
            Bundle = bundle, CanonicalBundle = BundleJson.Serialize(bundle), Target = ImageReference.Parse($"{fixture.Build.Host}/team/signed-shop:1.0.0"),
            Signing = new SigningOptions(signer),
        });
        var signedBundle = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/team/signed-shop:1.0.0");
        Assert.True(signedBundle.ExitCode == 0, signedBundle.Output);
        // The app image, copied into the bundle's repository by digest, came with its signature (made for its own name).
        var carried = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/team/signed-shop@{root.Digest}",
            remap: $"{fixture.Build.Host}/team/signed-shop={fixture.Build.Host}/team/bundled-app");
        Assert.True(carried.ExitCode == 0, carried.Output);
    }

    [Fact]
    public void Signatures_travel_in_a_thick_archive_and_verify_after_import_with_the_identity_remapped()
    {
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        var root = Root(fixture.Push("team/archived-app", signer, "1.0"));
        var image = new CnabImage
        {
            Image = $"{fixture.Build.Host}/team/archived-app:1.0@{root.Digest}", ContentDigest = root.Digest.ToString(), Size = root.Size, MediaType = root.MediaType,
        };
        var bundle = new CnabBundle { Name = "archived", Version = "1.0.0", InvocationImages = [image], Images = new Dictionary<string, CnabImage> { ["app"] = image } };
        var archive = fixture.Harness.Combine("release.tar");
        using (var registries = new RegistryImages(fixture.Harness.Settings, fixture.Harness.Log, null, fixture.Build.Host))
            ThickArchiveWriter.Write(new ThickArchiveRequest
            {
                ArchivePath = archive, Bundle = bundle, Images = ThickArchiveWriter.ImagesOf(bundle, new BundleImageSourceMap()),
            }, registries.OpenSource, fixture.Harness.Log);
        new ThickArchiveImporter(fixture.Harness.Settings, fixture.Harness.Log).Import(new ImportRequest
        {
            ArchivePath = archive, Target = RelocationTarget.Parse($"{fixture.Site.Host}/site-c"), MappingPath = fixture.Harness.Combine("site-c-mapping.json"),
        });
        var accepted = CosignCheck.Verify(Keys.Public, $"{fixture.Site.Host}/site-c/team/archived-app:1.0", remap: $"{fixture.Site.Host}/site-c={fixture.Build.Host}");
        Assert.True(accepted.ExitCode == 0, accepted.Output);
    }

    /// <summary>curl's output (ProcessRunner collects it by lines, so its line ends are not significant here).</summary>
    [Fact]
    public void Dotnet_oci_serve_serves_a_signature_carried_in_a_thick_archive_in_its_image_repository_and_it_verifies_there()
    {
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        var root = Root(fixture.Push("team/served", signer, "1.0"));
        var archive = fixture.Harness.Combine("served.cnab.tar");
        var exported = DotnetOci.Run("export", "--image", $"{fixture.Build.Host}/team/served:1.0", "-o", archive);
        Assert.True(exported.Exit == 0, exported.Output);

        // The image is served under its original repository (from its full name in the archive); its signature, named
        // by cosign's tag alone, must be served there too, not in the repository named after the archive file.
        using var serve = new Serve.ServeProcess(archive);
        Assert.Equal("""{"repositories":["team/served"]}""", Curl("-s", $"http://{serve.Host}/v2/_catalog"));
        Assert.Contains(AttachedObjects.SignatureTag(root.Digest), Curl("-s", $"http://{serve.Host}/v2/team/served/tags/list"));
        var accepted = CosignCheck.Verify(Keys.Public, $"{serve.Host}/team/served:1.0", remap: $"{serve.Host}={fixture.Build.Host}");
        Assert.True(accepted.ExitCode == 0, accepted.Output);
        var otherKey = CosignCheck.Verify(Keys.OtherPublic, $"{serve.Host}/team/served:1.0", remap: $"{serve.Host}={fixture.Build.Host}");
        Assert.NotEqual(0, otherKey.ExitCode);
    }

    private static string Curl(params string[] arguments) => ProcessRunner.Run("curl", arguments).StandardOutput.TrimEnd('\n');

    private RegistryClient Client(RegistryServer server)
    {
        var context = fixture.Harness.Settings.CreateContext(pushHost: server.Host, pullHost: null);
        return context.ClientFor(new RegistryEndpoint { Host = server.Host, AllowPlainHttp = true });
    }

    private static Descriptor Root(LayoutPushResult pushed) => pushed.Push.Manifests[0].Manifest;

    /// <summary>A small app image (<see cref="TestImages.App"/>) in its own layout with its SBOM attached, as the build leaves it: trust/NAME:TAG.</summary>
    private (string Layout, Descriptor Image, byte[] Sbom) AppImageWithSbom(string name, string tag)
    {
        var layout = fixture.Harness.Combine($"{name}-image");
        TestImages.App(TestImages.FromLayout(fixture.Layout, "1.0"), fixture.Harness.Work, layout, fixture.Harness.Combine("build-cache"), name, tag);
        var image = OciLayout.Open(layout).FindManifest(tag) with { Annotations = null };
        var restore = fixture.Harness.Combine($"{name}-restore");
        Directory.CreateDirectory(restore);
        var sbom = ImageSbom.Attach(new ImageSbomRequest
        {
            LayoutPath = layout, ManifestDigest = image.Digest, AssetsFile = SyntheticRestore.Write(restore), TargetFramework = "net10.0",
            RuntimeIdentifier = "linux-x64", AppName = "App", ImageName = $"trust/{name}", ImageTag = tag,
        }, fixture.Harness.Log);
        return (layout, image, sbom);
    }
}
