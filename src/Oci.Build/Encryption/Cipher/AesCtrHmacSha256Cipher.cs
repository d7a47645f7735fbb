using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace Oci.Build.Encryption.Cipher;

/// <summary>
/// <c>AES_256_CTR_HMAC_SHA256</c>, the one layer cipher ocicrypt defines: AES-256-CTR over the blob as stored (already
/// compressed), output the same length, and HMAC-SHA256 with the same key over the ciphertext, kept in the public options.
/// </summary>
public sealed class AesCtrHmacSha256Cipher : ILayerCipher
{
    public const string CipherName = "AES_256_CTR_HMAC_SHA256";
    public const string NonceOption = "nonce";
    private const int KeySize = 32;
    // Large chunks keep the per-call overhead of AES-ECB and HMAC negligible; two of them are in flight at once.
    private const int ChunkSize = 1 << 20;

    public string Name => CipherName;

    public PrivateLayerOptions GenerateKey() => new(
        RandomNumberGenerator.GetBytes(KeySize), null,
        new Dictionary<string, byte[]> { [NonceOption] = RandomNumberGenerator.GetBytes(AesCtrKeystream.BlockSize) });

    public PublicLayerOptions Encrypt(Stream plaintext, Stream ciphertext, PrivateLayerOptions options)
    {
        var (key, nonce) = KeyAndNonce(null, options);
        var hmac = Process(plaintext, ciphertext, key, nonce, transform: true, hmacBeforeTransform: false);
        return new PublicLayerOptions(CipherName, hmac, new Dictionary<string, byte[]>());
    }

    public void Verify(Stream ciphertext, PublicLayerOptions publicOptions, PrivateLayerOptions privateOptions)
    {
        var (key, nonce) = KeyAndNonce(publicOptions, privateOptions);
        Check(Process(ciphertext, Stream.Null, key, nonce, transform: false, hmacBeforeTransform: true), publicOptions.Hmac);
    }

    public void Decrypt(Stream ciphertext, Stream plaintext, PublicLayerOptions publicOptions, PrivateLayerOptions privateOptions)
    {
        var (key, nonce) = KeyAndNonce(publicOptions, privateOptions);
        Check(Process(ciphertext, plaintext, key, nonce, transform: true, hmacBeforeTransform: true), publicOptions.Hmac);
    }

    private static void Check(byte[] actual, byte[] expected)
    {
        if (!CryptographicOperations.FixedTimeEquals(actual, expected))
            throw new LayerAuthenticationException("the layer's HMAC does not match: the blob was changed, or its options belong to another blob");
    }

    private (byte[] Key, byte[] Nonce) KeyAndNonce(PublicLayerOptions? publicOptions, PrivateLayerOptions privateOptions)
    {
        if (privateOptions.SymmetricKey.Length != KeySize)
            throw new LayerAuthenticationException($"{CipherName} needs a {KeySize}-byte key, the options carry {privateOptions.SymmetricKey.Length} bytes");
        var nonce = publicOptions?.Option(NonceOption, privateOptions) ?? privateOptions.CipherOptions.GetValueOrDefault(NonceOption);
        if (nonce is not { Length: AesCtrKeystream.BlockSize })
            throw new LayerAuthenticationException($"{CipherName} needs a {AesCtrKeystream.BlockSize}-byte nonce in the cipher options");
        return (privateOptions.SymmetricKey, nonce);
    }

    /// <summary>
    /// The single pass: read a chunk, run CTR over it, hand it to a second thread that feeds the HMAC and writes it out (both
    /// at once), while this thread reads and transforms the next chunk. SHA-256 and AES then run side by side, as openssl's
    /// two-process pipe does.
    /// </summary>
    private static byte[] Process(Stream input, Stream output, byte[] key, byte[] nonce, bool transform, bool hmacBeforeTransform)
    {
        using var keystream = new AesCtrKeystream(key, nonce);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        // A blob of one chunk (an app layer after a one-line change) is done on this thread: a second thread and the
        // channels between them cost more to start than the work they would share.
        if (input.CanSeek && input.Length - input.Position <= ChunkSize)
            ProcessWhole(input, output, keystream, hmac, transform, hmacBeforeTransform);
        else
            ProcessInChunks(input, output, keystream, hmac, transform, hmacBeforeTransform);
        return hmac.GetHashAndReset();
    }

    private static void ProcessWhole(Stream input, Stream output, AesCtrKeystream keystream, IncrementalHash hmac, bool transform, bool hmacBeforeTransform)
    {
        var data = new byte[input.Length - input.Position];
        var length = ReadFully(input, data);
        // The HMAC covers the ciphertext: the input before transforming when decrypting, the output when encrypting.
        if (transform && !hmacBeforeTransform) keystream.Transform(data.AsSpan(0, length));
        hmac.AppendData(data, 0, length);
        if (transform && hmacBeforeTransform) keystream.Transform(data.AsSpan(0, length));
        output.Write(data, 0, length);
    }

    /// <summary>
    /// The two-thread pass over a larger blob. A method of its own, not inlined: compiling a method compiles what it names,
    /// and a warm build that encrypts only a small app layer would otherwise load System.Threading.Channels and compile
    /// the channels' generic code (a few ms of JIT in every such build) for a path it never takes.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ProcessInChunks(Stream input, Stream output, AesCtrKeystream keystream, IncrementalHash hmac, bool transform, bool hmacBeforeTransform)
    {
        var free = Channel.CreateBounded<byte[]>(3);
        var full = Channel.CreateBounded<Chunk>(2);
        for (var i = 0; i < 3; i++) free.Writer.TryWrite(new byte[ChunkSize]);

        var consumer = Task.Run(async () =>
        {
            try
            {
                await foreach (var chunk in full.Reader.ReadAllAsync().ConfigureAwait(false))
                {
                    // The HMAC covers the ciphertext: the input when decrypting (kept before transforming), the output when encrypting.
                    // It runs beside the write, which usually hashes too (the blob's digest): SHA-256 twice is this pass's
                    // largest cost, and on two cores the two hashes take the time of one.
                    Parallel.Invoke(
                        () => hmac.AppendData((chunk.Original ?? chunk.Buffer).AsSpan(0, chunk.Length)),
                        () => output.Write(chunk.Buffer, 0, chunk.Length));
                    if (chunk.Original is not null) System.Buffers.ArrayPool<byte>.Shared.Return(chunk.Original);
                    await free.Writer.WriteAsync(chunk.Buffer).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                // Wake the producer wherever it waits, so a failed write (disk full, ...) cannot hang the pass.
                full.Writer.TryComplete(ex);
                free.Writer.TryComplete(ex);
                throw;
            }
        });
        try
        {
            while (true)
            {
                var buffer = free.Reader.ReadAsync().AsTask().GetAwaiter().GetResult();
                var length = ReadFully(input, buffer);
                if (length == 0) break;
                byte[]? original = null;
                if (transform && hmacBeforeTransform)
                {
                    original = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
                    Buffer.BlockCopy(buffer, 0, original, 0, length);
                }
                if (transform) keystream.Transform(buffer.AsSpan(0, length));
                full.Writer.WriteAsync(new Chunk(buffer, length, original)).AsTask().GetAwaiter().GetResult();
                if (length < buffer.Length) break;
            }
        }
        catch (ChannelClosedException) when (consumer.IsFaulted || !consumer.IsCompleted)
        {
            // The consumer failed; its exception is rethrown below.
        }
        finally
        {
            full.Writer.TryComplete();
            consumer.GetAwaiter().GetResult();
        }
    }

    /// <summary>A chunk on its way to the HMAC and the output; <see cref="Original"/>: the input before the transform, when the HMAC needs it.</summary>
    private sealed record Chunk(byte[] Buffer, int Length, byte[]? Original);

    private static int ReadFully(Stream input, byte[] buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = input.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
