using Oci.Build.Oci;
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
    public void A_non_empty_foreign_folder_is_refused_without_force_and_a_previous_layout_is_replaced()
    {
        var image = TestImage.Build(_temp);
        var (key, pub) = Tools.RsaKey(_temp, "site");
        var encrypted = Engine.Encrypt(image, _temp, ["jwe:" + pub]);

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
