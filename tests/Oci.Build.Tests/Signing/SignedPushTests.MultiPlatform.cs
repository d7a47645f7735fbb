using System.Text.Json;
using Oci.Build.Graph;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transfer;
using Oci.Build.Sbom;
using Oci.Build.Signing;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Sbom;

namespace Oci.Build.Tests.Signing;

/// <summary>
/// A multi-platform image (an index of two platform manifests, one SBOM referrer each, as ContainerRuntimeIdentifiers
/// publishes it) signed by the build's push and verified in a real registry: every platform's SBOM is signed and
/// checked, a platform manifest's own signature is checked when there is one.
/// </summary>
public sealed partial class SignedPushTests
{
    [Fact]
    public async Task A_multi_platform_push_signs_the_index_and_every_platforms_sbom_recursive_each_platform_too_and_verify_checks_them_all_and_refuses_one_missing_or_wrong()
    {
        var (layout, manifests, sboms) = TwoPlatformIndex();
        var pusher = new LayoutPusher(fixture.Harness.Settings, fixture.Harness.Log);
        using var signer = SigningKeys.Open(Keys.Pkcs8, "/");
        using var policy = SignaturePolicy.ForKey(Keys.Public);
        var client = Client(fixture.Build);
        async Task<TrustCheck> Check(string repository)
        {
            using var source = new RegistrySource(client, repository);
            var root = await ((IImageSource)source).ResolveAsync("2.0", CancellationToken.None) with { Annotations = null };
            return await ImageTrust.CheckAsync(policy, source, root, ImageReference.Parse($"{fixture.Build.Host}/{repository}:2.0"), CancellationToken.None);
        }

        // Signed without Recursive: the index, and each platform's SBOM by digest; the platform manifests need no
        // signature of their own (the index's pins their digests).
        pusher.Push(new LayoutPushRequest { LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/platforms", Tags = ["2.0"], Signing = new SigningOptions(signer) });
        var plain = await Check("trust/platforms");
        Assert.True(plain.IsValid, string.Join("\n", plain.Problems.Select(p => p.Message)));
        Assert.Equal(["image", "SBOM of linux/amd64", "SBOM of linux/arm64/v8"], plain.Checked.Select(c => c.Role));
        Assert.Equal([sboms["linux/amd64"], sboms["linux/arm64/v8"]], plain.Checked.Skip(1).Select(c => c.Digest));
        // The CLI's `verify docker://` is this check, and lists what it checked.
        var (exit, output, error) = DotnetOci.Run("verify", $"docker://{fixture.Build.Host}/trust/platforms:2.0", "--key", Keys.Public, "--json");
        Assert.True(exit == 0, error);
        using (var result = JsonDocument.Parse(output))
            Assert.Equal(["image", "SBOM of linux/amd64", "SBOM of linux/arm64/v8"],
                result.RootElement.GetProperty("signatures").EnumerateArray().Select(s => s.GetProperty("role").GetString()));

        // Recursive: each platform manifest signed too, and checked. A wrong signature on a platform manifest and on
        // one platform's SBOM: exactly those two fail, with OCI3034.
        pusher.Push(new LayoutPushRequest
        {
            LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/platforms-recursive", Tags = ["2.0"], Signing = new SigningOptions(signer, Recursive: true),
        });
        // The oracle (containers/image's rules): the index verifies either way, a platform manifest by digest only when
        // signed recursively.
        var amd64 = manifests["linux/amd64"];
        foreach (var repository in new[] { "trust/platforms", "trust/platforms-recursive" })
        {
            var accepted = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/{repository}:2.0");
            Assert.True(accepted.ExitCode == 0, accepted.Output);
        }
        var child = CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/platforms-recursive@{amd64}");
        Assert.True(child.ExitCode == 0, child.Output);
        Assert.NotEqual(0, CosignCheck.Verify(Keys.Public, $"{fixture.Build.Host}/trust/platforms@{amd64}").ExitCode);
        var recursive = await Check("trust/platforms-recursive");
        Assert.True(recursive.IsValid, string.Join("\n", recursive.Problems.Select(p => p.Message)));
        Assert.Equal(["image", "image linux/amd64", "SBOM of linux/amd64", "image linux/arm64/v8", "SBOM of linux/arm64/v8"], recursive.Checked.Select(c => c.Role));
        Assert.Equal(amd64, recursive.Checked[1].Digest);
        await Forge(client, "trust/platforms-recursive", amd64, signer);
        await Forge(client, "trust/platforms-recursive", sboms["linux/arm64/v8"], signer);
        var tampered = await Check("trust/platforms-recursive");
        Assert.Equal([("image linux/amd64", amd64, ErrorCodes.SignatureInvalid), ("SBOM of linux/arm64/v8", sboms["linux/arm64/v8"], ErrorCodes.SignatureInvalid)],
            tampered.Problems.Select(p => (p.Role, p.Digest, p.Code)));

        // One platform's SBOM not signed (signatures written by a tool that signed the rest): that SBOM alone, OCI3035.
        pusher.Push(new LayoutPushRequest { LayoutPath = layout, Registry = fixture.Build.Host, Repository = "trust/platforms-missing", Tags = ["2.0"] });
        using (var source = new LayoutSource(OciLayout.Open(layout)))
        using (var sink = new RegistrySink(client, "trust/platforms-missing", [], fixture.Harness.Log))
        {
            var index = AttachedObjects.Images(OciLayout.Open(layout).Index)[0] with { Annotations = null };
            var artifacts = await ImageSigning.PrepareAsync(new SigningOptions(signer), source, $"{fixture.Build.Host}/trust/platforms-missing", [new CopyRoot(index, ["2.0"])], CancellationToken.None);
            Assert.Equal(3, artifacts.Count); // the index and both SBOMs, without Recursive
            foreach (var artifact in artifacts.Where(a => a.Tag != AttachedObjects.SignatureTag(sboms["linux/arm64/v8"])))
                await artifact.PutAsync(sink, CancellationToken.None);
        }
        var missing = await Check("trust/platforms-missing");
        var problem = Assert.Single(missing.Problems);
        Assert.Equal(("SBOM of linux/arm64/v8", sboms["linux/arm64/v8"], ErrorCodes.SignatureMissing), (problem.Role, problem.Digest, problem.Code));
    }

    /// <summary>An index of a linux/amd64 and a linux/arm64 image on the fixture's base, each with its SBOM attached; the platform manifests' and SBOM manifests' digests by platform.</summary>
    private (string Layout, Dictionary<string, Digest> Manifests, Dictionary<string, Digest> Sboms) TwoPlatformIndex()
    {
        var restore = fixture.Harness.Combine("multi-restore");
        Directory.CreateDirectory(restore);
        var assets = SyntheticRestore.Write(restore);
        var platforms = new List<PlatformImage>();
        foreach (var rid in new[] { "linux-x64", "linux-arm64" })
        {
            var file = fixture.Harness.Combine($"multi-{rid}.txt");
            File.WriteAllText(file, rid);
            var path = fixture.Harness.Combine($"multi-{rid}");
            using (var baseImage = TestImages.FromLayout(fixture.Layout, "1.0"))
                TestImages.OnBase(baseImage, fixture.Harness.Combine("build-cache"), [new LayerSpec("app", [LayerEntry.FromFile("app/rid.txt", file)])],
                    TestImages.Settings("trust/platforms", "2.0") with { Platform = Platform.FromRuntimeIdentifier(rid) }, path);
            ImageSbom.Attach(new ImageSbomRequest
            {
                LayoutPath = path, ManifestDigest = OciLayout.Open(path).FindManifest("2.0").Digest, AssetsFile = assets, TargetFramework = "net10.0",
                RuntimeIdentifier = rid, AppName = "App", ImageName = "trust/platforms", ImageTag = "2.0",
            }, fixture.Harness.Log);
            platforms.Add(new PlatformImage(rid, path));
        }
        var index = PlatformIndexBuilder.Build("trust/platforms", ["2.0"], platforms, fixture.Harness.Combine("multi-index"));
        var built = OciLayout.Open(index.LayoutPath);
        var sboms = index.Platforms.ToDictionary(p => p.Platform.ToString(), p =>
            Assert.Single(OciJson.Deserialize<ImageIndex>(built.ReadDocument(built.FindManifest(AttachedObjects.ReferrersTag(p.Manifest.Digest)), "referrers"), "referrers").Manifests).Digest);
        return (index.LayoutPath, index.Platforms.ToDictionary(p => p.Platform.ToString(), p => p.Manifest.Digest), sboms);
    }

    /// <summary>Replaces the signature of <paramref name="digest"/> in the repository with one whose payload is the same but whose signature is of another payload.</summary>
    private async Task Forge(RegistryClient client, string repository, Digest digest, IImageSigner signer)
    {
        var tag = AttachedObjects.SignatureTag(digest);
        var original = OciJson.Deserialize<ImageManifest>(
            (await client.GetManifestAsync(repository, tag, [RegistryScope.Pull(repository)], CancellationToken.None)).Content, "signature manifest");
        var forged = CosignSignature.Create(signer, Digest.Of("another image"u8), [$"{fixture.Build.Host}/{repository}"])
            .Blobs[1].Descriptor.Annotation(CosignSignature.SignatureAnnotation)!;
        var content = OciJson.Serialize(original with { Layers = [original.Layers[0].WithAnnotation(CosignSignature.SignatureAnnotation, forged)] });
        using var sink = new RegistrySink(client, repository, [], fixture.Harness.Log);
        await sink.PutManifestAsync(new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Of(content), Size = content.Length }, content, [tag], CancellationToken.None);
    }
}
