using Oci.Build.Store;
using Oci.Build.IO;
using Oci.Build.Tests.Encryption;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Hardening;

/// <summary>Plaintext of layers that get encrypted is readable by its owner only: the cache is 0700, its blobs 0600.</summary>
public sealed class PlaintextPrivacyTests
{
    [Fact]
    public void The_layer_cache_is_private_to_its_owner()
    {
        if (OperatingSystem.IsWindows()) return; // modes are Unix; Windows relies on the profile's ACLs
        using var temp = new TempDirectory("private-cache");
        var image = TestImage.Build(temp, dataSize: 20_000);
        var (_, pub) = Tools.RsaKey(temp, "site");
        Engine.Encrypt(image, temp, ["jwe:" + pub]);

        Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(image.CacheDirectory));
        var blobs = Directory.GetFiles(Path.Combine(image.CacheDirectory, "blobs"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(blobs);
        // Every added (plaintext) layer is in the cache, and no blob there is readable by group or others (sealed: 0400,
        // so a layout hard-linked to it cannot be written into by accident either).
        foreach (var layer in image.AddedLayers)
            Assert.Contains(blobs, b => Path.GetFileName(b) == layer.Hex);
        Assert.All(blobs, b => Assert.Equal(SealedFile.Mode, File.GetUnixFileMode(b)));
        Assert.All(Directory.GetDirectories(Path.Combine(image.CacheDirectory, "blobs"), "*", SearchOption.AllDirectories),
            d => Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(d)));
    }

    [Fact]
    public void An_existing_world_readable_cache_is_narrowed()
    {
        if (OperatingSystem.IsWindows()) return;
        using var temp = new TempDirectory("narrow-cache");
        var cache = temp.Combine("cache");
        Directory.CreateDirectory(cache);
        File.SetUnixFileMode(cache, (UnixFileMode)0b111_101_101);
        var file = new Store.ContentStore(cache).NewTempFile();
        Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(cache));
        Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
    }
}
