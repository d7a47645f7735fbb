using System.Diagnostics;
using System.Security.Cryptography;
using Oci.Build.Encryption;
using Oci.Build.Encryption.Cipher;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;

// Two measurements for the encryption issue, on the same inputs in one run:
//  1. layer cipher throughput: our AES-256-CTR + HMAC-SHA256 single pass vs `openssl enc -aes-256-ctr | openssl dgst -hmac`
//     over the same file (default 1 GiB);
//  2. the image step of a publish, unencrypted vs encrypted, by timing the engine calls on a publish folder.
//  3. with --push LAYOUT[:TAG] instead: pushing a layout to an empty local registry, Oci.Build vs skopeo (PushBenchmark.cs).
// Usage: dotnet run -c Release --project benchmarks/Oci.Build.Benchmarks -- [--size-mb 1024] [--publish DIR --base oci:LAYOUT:TAG]
//        dotnet run -c Release --project benchmarks/Oci.Build.Benchmarks -- --push samples/HelloOci/bin/Release/net10.0/linux-x64/oci-layout
var sizeMb = Argument("--size-mb") is { } s ? int.Parse(s) : 1024;
var publishDirectory = Argument("--publish");
var baseImage = Argument("--base");
var pushLayout = Argument("--push");
var work = Directory.CreateTempSubdirectory("oci-build-bench-").FullName;
try
{
    if (pushLayout is not null)
    {
        // Only the push comparison: --push LAYOUT[:TAG] (default tag latest).
        var (layout, tag) = Oci.Build.Graph.ImageLocation.SplitPathAndTag(pushLayout);
        PushBenchmark.Run(work, Path.GetFullPath(layout), tag ?? "latest");
        return;
    }
    CipherBenchmark(work, sizeMb);
    if (publishDirectory is not null) ImageStepBenchmark(work, publishDirectory, baseImage);
    else Console.WriteLine("(image step skipped: pass --publish DIR [--base oci:LAYOUT:TAG], e.g. a published HelloOci)");
}
finally
{
    Directory.Delete(work, recursive: true);
}

string? Argument(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

static void CipherBenchmark(string work, int sizeMb)
{
    var file = Path.Combine(work, "layer.bin");
    using (var output = File.Create(file))
    {
        var chunk = new byte[1 << 20];
        for (var i = 0; i < sizeMb; i++)
        {
            RandomNumberGenerator.Fill(chunk);
            output.Write(chunk);
        }
    }
    var key = RandomNumberGenerator.GetBytes(32);
    var nonce = RandomNumberGenerator.GetBytes(16);
    var cipher = new AesCtrHmacSha256Cipher();
    var options = new PrivateLayerOptions(key, null, new Dictionary<string, byte[]> { ["nonce"] = nonce });

    byte[] ours = [];
    var oursTimes = new List<double>();
    var opensslTimes = new List<double>();
    string opensslHmac = "";
    for (var run = 0; run < 3; run++)
    {
        var stopwatch = Stopwatch.StartNew();
        using (var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            ours = cipher.Encrypt(input, Stream.Null, options).Hmac;
        oursTimes.Add(stopwatch.Elapsed.TotalSeconds);

        stopwatch.Restart();
        var openssl = Process.Start(new ProcessStartInfo("bash",
        [
            "-c",
            $"openssl enc -aes-256-ctr -K {Convert.ToHexString(key)} -iv {Convert.ToHexString(nonce)} -in '{file}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:{Convert.ToHexString(key)} -r",
        ]) { RedirectStandardOutput = true })!;
        opensslHmac = openssl.StandardOutput.ReadToEnd().Split(' ')[0];
        openssl.WaitForExit();
        opensslTimes.Add(stopwatch.Elapsed.TotalSeconds);
    }
    if (!string.Equals(opensslHmac, Convert.ToHexString(ours), StringComparison.OrdinalIgnoreCase))
        throw new InvalidOperationException($"HMAC differs from openssl's: {opensslHmac} vs {Convert.ToHexString(ours)}");
    double oursBest = oursTimes.Min(), opensslBest = opensslTimes.Min();
    Console.WriteLine($"Layer cipher, {sizeMb} MiB (best of 3; HMAC identical to openssl's):");
    Console.WriteLine($"  ours (AES-256-CTR + HMAC-SHA256, one pass): {oursBest:F2} s  {sizeMb / oursBest:F0} MiB/s   runs: {string.Join(", ", oursTimes.Select(t => t.ToString("F2")))}");
    Console.WriteLine($"  openssl enc | openssl dgst -hmac:           {opensslBest:F2} s  {sizeMb / opensslBest:F0} MiB/s   runs: {string.Join(", ", opensslTimes.Select(t => t.ToString("F2")))}");
    Console.WriteLine($"  ratio ours/openssl throughput: {opensslBest / oursBest:F2}x (target >= 0.80x)");
    File.Delete(file);
}

static void ImageStepBenchmark(string work, string publishDirectory, string? baseImage)
{
    var keyFile = Path.Combine(work, "prod.pub.pem");
    using (var rsa = RSA.Create(2048)) File.WriteAllText(keyFile, rsa.ExportSubjectPublicKeyInfoPem());
    var context = new KeyWrapContext { BaseDirectory = work };
    var recipients = new[] { EncryptionRecipient.Parse("jwe:" + keyFile, context) };

    // A self-contained app's runtime files vs its own: the same split the MSBuild task makes from publish items.
    var classified = Directory.EnumerateFiles(publishDirectory, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(publishDirectory, f).Replace('\\', '/'))
        .ToDictionary(f => f, f => f.StartsWith("Microsoft.", StringComparison.Ordinal) || f.StartsWith("System.", StringComparison.Ordinal) ||
            f.StartsWith("lib", StringComparison.Ordinal) || f is "createdump" or "mscorlib.dll" or "netstandard.dll" or "WindowsBase.dll"
            ? PublishedFileKind.Runtime : PublishedFileKind.App);

    ImagePublishRequest Request(string cache, string layout) => new()
    {
        PublishDirectory = publishDirectory,
        ClassifiedFiles = classified,
        BaseImage = baseImage,
        BaseDirectory = Directory.GetCurrentDirectory(), // relative --base paths are the caller's
        Settings = new ImageSettings
        {
            Repository = "bench/app", Tags = ["latest"], Platform = Platform.FromRuntimeIdentifier("linux-x64"),
            Created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        },
        CacheDirectory = cache,
        LayoutPath = layout,
    };

    double Plain(string cache, int run)
    {
        var stopwatch = Stopwatch.StartNew();
        new ImagePublisher(NullBuildLog.Instance).Publish(Request(cache, Path.Combine(work, $"plain-{run}")));
        return stopwatch.Elapsed.TotalMilliseconds;
    }

    var encryptOnly = new List<double>();
    double Encrypted(string cache, int run)
    {
        var stopwatch = Stopwatch.StartNew();
        var plainLayout = Path.Combine(work, $"obj-plain-{run}");
        var result = new ImagePublisher(NullBuildLog.Instance).Publish(Request(cache, plainLayout));
        var built = stopwatch.Elapsed.TotalMilliseconds;
        new LayoutEncryptor(NullBuildLog.Instance).Encrypt(new LayoutEncryptionRequest
        {
            SourceLayout = plainLayout,
            DestinationLayout = Path.Combine(work, $"enc-{run}"),
            Recipients = recipients,
            Layers = result.Layers.Where(l => l.Origin != "base").Select(l => l.Descriptor.Digest).ToHashSet(),
            CacheDirectory = cache,
            Context = context,
        });
        encryptOnly.Add(stopwatch.Elapsed.TotalMilliseconds - built);
        return stopwatch.Elapsed.TotalMilliseconds;
    }

    const int Runs = 5;
    var results = new Dictionary<string, List<double>>();
    void Add(string name, double ms) => (results.TryGetValue(name, out var list) ? list : results[name] = []).Add(ms);
    for (var run = 0; run < Runs; run++)
    {
        // Cold: an empty Oci.Build cache (first publish on a machine): tar + gzip every layer, then encrypt.
        Add("cold  unencrypted", Plain(Path.Combine(work, $"cache-plain-{run}"), run * 10));
        Add("cold  encrypted", Encrypted(Path.Combine(work, $"cache-enc-{run}"), run * 10));
        // Warm: a republish with no change (layers and ciphertext come from the cache).
        Add("warm  unencrypted", Plain(Path.Combine(work, $"cache-plain-{run}"), run * 10 + 1));
        Add("warm  encrypted", Encrypted(Path.Combine(work, $"cache-enc-{run}"), run * 10 + 1));
        // Layers cached, ciphertext not (a changed recipient set, or the first encrypted publish after plain ones).
        Add("layers cached, first encryption", Encrypted(Path.Combine(work, $"cache-plain-{run}"), run * 10 + 2));
        foreach (var directory in Directory.EnumerateDirectories(work).Where(d => !Path.GetFileName(d).StartsWith("cache-", StringComparison.Ordinal)))
            Directory.Delete(directory, recursive: true);
    }
    var size = Directory.EnumerateFiles(publishDirectory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
    Console.WriteLine($"Image step, {classified.Count} files ({size / (1024.0 * 1024):F0} MiB) from {publishDirectory}, median of {Runs}:");
    double Median(string name) => results[name].Order().ElementAt(Runs / 2);
    foreach (var (name, times) in results)
        Console.WriteLine($"  {name,-32} {Median(name),8:F0} ms   runs: {string.Join(", ", times.Select(t => t.ToString("F0")))}");
    Console.WriteLine($"  (of which LayoutEncryptor alone, all encrypted runs: {string.Join(", ", encryptOnly.Select(t => t.ToString("F0")))} ms)");
    Console.WriteLine($"  ratio cold encrypted/unencrypted: {Median("cold  encrypted") / Median("cold  unencrypted"):F2}x (target <= 1.15x)");
    Console.WriteLine($"  ratio warm encrypted/unencrypted: {Median("warm  encrypted") / Median("warm  unencrypted"):F2}x");
    Console.WriteLine($"  ratio layers-cached first encryption / warm unencrypted: {Median("layers cached, first encryption") / Median("warm  unencrypted"):F2}x");
}
