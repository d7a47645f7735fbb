using System.Text.Json;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>An ocicrypt key provider (command form), played by a small python3 program that "wraps" by XOR and logs its requests.</summary>
public class KeyProviderTests
{
    private const string Provider = """
        #!/usr/bin/env python3
        import base64, json, sys
        request = json.load(sys.stdin)
        with open(sys.argv[1], "a") as log:
            log.write(json.dumps(request) + "\n")
        def xor(data): return bytes(b ^ 0x5A for b in data)
        if request["op"] == "keywrap":
            opts = base64.b64decode(request["keywrapparams"]["optsdata"])
            print(json.dumps({"keywrapresults": {"annotation": base64.b64encode(b"demo:" + xor(opts)).decode()}}))
        elif request["op"] == "keyunwrap":
            annotation = base64.b64decode(request["keyunwrapparams"]["annotation"])
            if not annotation.startswith(b"demo:"):
                sys.exit("not mine")
            print(json.dumps({"keyunwrapresults": {"optsdata": base64.b64encode(xor(annotation[5:])).decode()}}))
        else:
            sys.exit("unknown op")
        """;

    internal static (string Config, string Log) Setup(TempDirectory temp, string? path = null)
    {
        var script = temp.Combine("provider.py");
        File.WriteAllText(script, Provider);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        var log = temp.Combine("provider.log");
        var config = temp.Combine("ocicrypt.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["key-providers"] = new Dictionary<string, object> { ["demo"] = new { cmd = new { path = path ?? script, args = new[] { log } } } },
        }));
        return (config, log);
    }

    [Fact]
    public void Key_provider_wraps_on_encryption_and_unwraps_on_decryption()
    {
        using var temp = new TempDirectory("provider");
        var image = TestImage.Build(temp, dataSize: 10_000);
        var (config, log) = Setup(temp);
        var encrypted = Engine.Encrypt(image, temp, ["provider:demo:team=payments"], providerConfig: config);

        var (_, manifest) = LayoutAssert.ReadImage(encrypted);
        var wrapped = Convert.FromBase64String(manifest.Layers[^1].Annotation("org.opencontainers.image.enc.keys.provider.demo")!);
        Assert.StartsWith("demo:", System.Text.Encoding.ASCII.GetString(wrapped));

        var wrap = JsonDocument.Parse(File.ReadLines(log).First()).RootElement;
        Assert.Equal("keywrap", wrap.GetProperty("op").GetString());
        var parameters = wrap.GetProperty("keywrapparams").GetProperty("ec").GetProperty("Parameters").GetProperty("demo");
        Assert.Equal("team=payments", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(parameters[0].GetString()!)));

        var decrypted = Engine.Decrypt(encrypted, temp, ["provider:demo"], providerConfig: config);
        LayoutAssert.SameImage(image.ManifestDocument, decrypted, image.Tag);
        Assert.Contains(File.ReadLines(log), line => line.Contains("\"op\": \"keyunwrap\"", StringComparison.Ordinal));

        var error = Assert.Throws<OciException>(() => Engine.Decrypt(encrypted, temp, [temp.Combine("provider.log")], providerConfig: config));
        Assert.Equal(ErrorCodes.NoMatchingKey, error.Code);
        Assert.Contains("provider:demo", error.Message);
    }

    [Fact]
    public void An_unreachable_key_provider_is_a_coded_error_naming_the_recipient()
    {
        using var temp = new TempDirectory("provider-missing");
        var image = TestImage.Build(temp, dataSize: 10_000);
        var (config, _) = Setup(temp, path: "/nonexistent/ocicrypt-provider");
        var error = Assert.Throws<OciException>(() => Engine.Encrypt(image, temp, ["provider:demo"], providerConfig: config));
        Assert.Equal(ErrorCodes.KeyProviderFailed, error.Code);
        Assert.Contains("provider:demo", error.Message);
        Assert.False(Directory.Exists(temp.Combine("enc")));

        var unset = Assert.Throws<OciException>(() => Engine.Encrypt(image, temp, ["provider:demo"], providerConfig: null));
        Assert.Equal(ErrorCodes.KeyProviderFailed, unset.Code);
        Assert.Contains("OCICRYPT_KEYPROVIDER_CONFIG", unset.Message);
    }

    [Fact]
    public void A_failing_key_provider_leaves_nothing_written()
    {
        using var temp = new TempDirectory("provider-fails");
        var image = TestImage.Build(temp, dataSize: 10_000);
        var failing = temp.Combine("fail.sh");
        File.WriteAllText(failing, "#!/bin/sh\necho 'vault sealed' >&2\nexit 3\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(failing, (UnixFileMode)0b111_101_101);
        var (config, _) = Setup(temp, path: failing);
        var error = Assert.Throws<OciException>(() => Engine.Encrypt(image, temp, ["provider:demo"], providerConfig: config));
        Assert.Equal(ErrorCodes.KeyProviderFailed, error.Code);
        Assert.Contains("vault sealed", error.Message);
        Assert.False(Directory.Exists(temp.Combine("enc")));
        Assert.Empty(Directory.EnumerateDirectories(temp.Path, ".enc.staging-*"));
    }
}
