using System.Security.Cryptography;
using System.Text;
using Oci.Build.Encryption.Cipher;
using Oci.Build.Encryption.KeyWrap.Jwe;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>The layer cipher against openssl, the options JSON bytes, and JWE pieces against RFC vectors.</summary>
public class CipherAndFormatTests
{
    [Theory]
    [InlineData("000102030405060708090a0b0c0d0e0f", 3 * (1 << 20) + 12_345)] // several chunks, an odd tail
    [InlineData("0000000000000000fffffffffffffffe", 3 * (1 << 20) + 12_345)] // the counter carries from the low 64 bits into the high ones
    [InlineData("ffffffffffffffffffffffffffffffff", 3 * (1 << 20) + 12_345)] // and wraps at 2^128, as Go's CTR does
    [InlineData("0000000000000000fffffffffffffffe", 51_234)] // one chunk, done without the second thread
    public void AES_CTR_matches_openssl_including_the_128_bit_counter_carry(string nonceHex, int size)
    {
        using var temp = new TempDirectory("ctr");
        var key = RandomNumberGenerator.GetBytes(32);
        var nonce = Convert.FromHexString(nonceHex);
        var plaintext = RandomNumberGenerator.GetBytes(size);
        File.WriteAllBytes(temp.Combine("plain"), plaintext);
        Tools.Openssl(temp.Path, "enc", "-aes-256-ctr", "-K", Convert.ToHexString(key), "-iv", nonceHex, "-in", "plain", "-out", "expected");

        var cipher = new AesCtrHmacSha256Cipher();
        var options = new PrivateLayerOptions(key, null, new Dictionary<string, byte[]> { ["nonce"] = nonce });
        using var output = new MemoryStream();
        var publicOptions = cipher.Encrypt(new MemoryStream(plaintext), output, options);

        var expected = File.ReadAllBytes(temp.Combine("expected"));
        Assert.Equal(expected, output.ToArray());
        Assert.Equal(HMACSHA256.HashData(key, expected), publicOptions.Hmac); // HMAC with the same key, over the ciphertext
        Assert.Equal("AES_256_CTR_HMAC_SHA256", publicOptions.Cipher);

        using var decrypted = new MemoryStream();
        cipher.Decrypt(new MemoryStream(expected), decrypted, publicOptions, options);
        Assert.Equal(plaintext, decrypted.ToArray());
    }

    [Fact]
    public void Keystream_is_the_same_whatever_the_call_sizes()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var nonce = RandomNumberGenerator.GetBytes(16);
        var data = RandomNumberGenerator.GetBytes(10_000);
        var whole = data.ToArray();
        using (var stream = new AesCtrKeystream(key, nonce)) stream.Transform(whole);
        var pieces = data.ToArray();
        using (var stream = new AesCtrKeystream(key, nonce))
        {
            var offset = 0;
            foreach (var size in Enumerable.Repeat(new[] { 1, 15, 17, 33, 4096 }, 100).SelectMany(s => s))
            {
                if (offset >= pieces.Length) break;
                var n = Math.Min(size, pieces.Length - offset);
                stream.Transform(pieces.AsSpan(offset, n));
                offset += n;
            }
        }
        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void A_changed_ciphertext_fails_verification_and_decryption()
    {
        var cipher = new AesCtrHmacSha256Cipher();
        var options = cipher.GenerateKey();
        var plaintext = RandomNumberGenerator.GetBytes(100_000);
        using var ciphertext = new MemoryStream();
        var publicOptions = cipher.Encrypt(new MemoryStream(plaintext), ciphertext, options);
        var tampered = ciphertext.ToArray();
        tampered[50_000] ^= 1;
        Assert.Throws<LayerAuthenticationException>(() => cipher.Verify(new MemoryStream(tampered), publicOptions, options));
        Assert.Throws<LayerAuthenticationException>(() => cipher.Decrypt(new MemoryStream(tampered), Stream.Null, publicOptions, options));
        cipher.Verify(new MemoryStream(ciphertext.ToArray()), publicOptions, options);
    }

    [Fact]
    public void Options_JSON_has_Go_field_order_and_standard_base64()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)(i * 8 + 3)).ToArray(); // has '+' and '/' in base64
        var nonce = Enumerable.Range(0, 16).Select(i => (byte)(255 - i)).ToArray();
        var privateOptions = new PrivateLayerOptions(key, "sha256:" + new string('a', 64), new Dictionary<string, byte[]> { ["nonce"] = nonce });
        Assert.Equal(
            $"{{\"symkey\":\"{Convert.ToBase64String(key)}\",\"digest\":\"sha256:{new string('a', 64)}\",\"cipheroptions\":{{\"nonce\":\"{Convert.ToBase64String(nonce)}\"}}}}",
            Encoding.UTF8.GetString(privateOptions.ToJson()));
        Assert.Contains('+', Convert.ToBase64String(key) + Convert.ToBase64String(nonce)); // the escaping case is really exercised

        var hmac = Enumerable.Range(0, 32).Select(i => (byte)(250 - i)).ToArray();
        var publicOptions = new PublicLayerOptions("AES_256_CTR_HMAC_SHA256", hmac, new Dictionary<string, byte[]>());
        Assert.Equal($"{{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"hmac\":\"{Convert.ToBase64String(hmac)}\",\"cipheroptions\":{{}}}}",
            Encoding.UTF8.GetString(publicOptions.ToJson()));

        var parsed = PrivateLayerOptions.Parse(privateOptions.ToJson());
        Assert.Equal(key, parsed.SymmetricKey);
        Assert.Equal(nonce, parsed.CipherOptions["nonce"]);
    }

    [Theory]
    [InlineData("{\"symkey\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"cipheroptions\":{\"nonce\":\"AAECAwQFBgcICQoLDA0ODw==\"}}")]
    [InlineData("{\"symkey\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"digest\":\"sha256:stale\",\"cipheroptions\":{\"nonce\":\"AAECAwQFBgcICQoLDA0ODw==\"},\"extra\":1}")]
    public void Private_options_without_or_with_a_wrong_digest_are_accepted(string json)
    {
        var options = PrivateLayerOptions.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(32, options.SymmetricKey.Length);
        Assert.Equal(16, options.CipherOptions["nonce"].Length);
    }

    [Fact]
    public void Public_options_without_hmac_are_refused()
    {
        Assert.Throws<FormatException>(() => PublicLayerOptions.Parse("{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"cipheroptions\":{}}"u8));
        Assert.Throws<FormatException>(() => PublicLayerOptions.Parse("{\"hmac\":\"AAAA\"}"u8));
    }

    [Fact]
    public void AES_key_wrap_matches_RFC_3394_section_4_6()
    {
        var kek = Convert.FromHexString("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        var key = Convert.FromHexString("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
        var expected = Convert.FromHexString("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21");
        Assert.Equal(expected, AesKeyWrap.Wrap(kek, key));
        Assert.Equal(key, AesKeyWrap.Unwrap(kek, expected));
        expected[3] ^= 1;
        Assert.Throws<CryptographicException>(() => AesKeyWrap.Unwrap(kek, expected));
    }

    [Fact]
    public void ECDH_ES_Concat_KDF_matches_RFC_7518_appendix_C()
    {
        using var alice = JweKey.Read(Encoding.UTF8.GetBytes(
            "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0\",\"y\":\"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps\",\"d\":\"0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo\"}"), "alice");
        using var bob = JweKey.Read(Encoding.UTF8.GetBytes(
            "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\",\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\",\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}"), "bob");
        var z = alice.Ec!.DeriveRawSecretAgreement(bob.Ec!.PublicKey);
        Assert.Equal(new byte[] { 158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196 }, z);
        var derived = ConcatKdf.DeriveKey(z, "A128GCM", "Alice"u8, "Bob"u8, 128);
        Assert.Equal("VqqN6vgjbSBcIijNcacQGg", Convert.ToBase64String(derived).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
    }

    [Fact]
    public void JWE_reader_decrypts_RFC_7516_appendix_A1()
    {
        const string jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ." +
            "OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDb" +
            "Sv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je8" +
            "1860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg." +
            "48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ";
        const string jwk = "{\"kty\":\"RSA\"," +
            "\"n\":\"oahUIoWw0K0usKNuOR6H4wkf4oBUXHTxRvgb48E-BVvxkeDNjbC4he8rUWcJoZmds2h7M70imEVhRU5djINXtqllXI4DFqcI1DgjT9LewND8MW2Krf3Spsk_ZkoFnilakGygTwpZ3uesH-PFABNIUYpOiN15dsQRkgr0vEhxN92i2asbOenSZeyaxziK72UwxrrKoExv6kc5twXTq4h-QChLOln0_mtUZwfsRaMStPs6mS6XrgxnxbWhojf663tuEQueGC-FCMfra36C9knDFGzKsNa7LZK2djYgyD3JR_MB_4NUJW_TqOQtwHYbxevoJArm-L5StowjzGy-_bq6Gw\"," +
            "\"e\":\"AQAB\"," +
            "\"d\":\"kLdtIj6GbDks_ApCSTYQtelcNttlKiOyPzMrXHeI-yk1F7-kpDxY4-WY5NWV5KntaEeXS1j82E375xxhWMHXyvjYecPT9fpwR_M9gV8n9Hrh2anTpTD93Dt62ypW3yDsJzBnTnrYu1iwWRgBKrEYY46qAZIrA2xAwnm2X7uGR1hghkqDp0Vqj3kbSCz1XyfCs6_LehBwtxHIyh8Ripy40p24moOAbgxVw3rxT_vlt3UVe4WO3JkJOzlpUf-KTVI2Ptgm-dARxTEtE-id-4OJr0h-K-VFs3VSndVTIznSxfyrj8ILL6MG_Uv8YAu7VILSB3lOW085-4qE3DzgrTjgyQ\"," +
            "\"p\":\"1r52Xk46c-LsfB5P442p7atdPUrxQSy4mti_tZI3Mgf2EuFVbUoDBvaRQ-SWxkbkmoEzL7JXroSBjSrK3YIQgYdMgyAEPTPjXv_hI2_1eTSPVZfzL0lffNn03IXqWF5MDFuoUYE0hzb2vhrlN_rKrbfDIwUbTrjjgieRbwC6Cl0\"," +
            "\"q\":\"wLb35x7hmQWZsWJmB_vle87ihgZ19S8lBEROLIsZG4ayZVe9Hi9gDVCOBmUDdaDYVTSNx_8Fyw1YYa9XGrGnDew00J28cRUoeBB_jKI1oma0Orv1T9aXIWxKwd4gvxFImOWr3QRL9KEBRzk2RatUBnmDZJTIAfwTs0g68UZHvtc\"," +
            "\"dp\":\"ZK-YwE7diUh0qR1tR7w8WHtolDx3MZ_OTowiFvgfeQ3SiresXjm9gZ5KLhMXvo-uz-KUJWDxS5pFQ_M0evdo1dKiRTjVw_x4NyqyXPM5nULPkcpU827rnpZzAJKpdhWAgqrXGKAECQH0Xt4taznjnd_zVpAmZZq60WPMBMfKcuE\"," +
            "\"dq\":\"Dq0gfgJ1DdFGXiLvQEZnuKEN0UUmsJBxkjydc3j4ZYdBiMRAy86x0vHCjywcMlYYg4yoC4YZa9hNVcsjqA3FeiL19rk8g6Qn29Tt0cj8qqyFpz9vNDBUfCAiJVeESOjJDZPYHdHY8v1b-o-Z2X5tvLx-TCekf7oxyeKDUqKWjis\"," +
            "\"qi\":\"VIMpMYbPf47dT1w_zDUXfPimsSegnMOA1zTaX7aGk_8urY6R8-ZW1FxU7AlWAyLWybqq6t16VFd7hQd0y6flUK4SlOydB61gwanOsXGOAOv82cHq0E3eL4HrtZkUuKvnPrMnsUUFlfUdybVzxyjz9JF_XyaY14ardLSjf4L_FNY\"}";
        using var key = JweKey.Read(Encoding.UTF8.GetBytes(jwk), "RFC 7516 A.1 key");
        var plaintext = JsonWebEncryption.Decrypt(jwe, [key]);
        Assert.Equal("The true sign of intelligence is not knowledge but imagination.", Encoding.UTF8.GetString(plaintext!));
        using var other = JweKey.Read(Encoding.UTF8.GetBytes(new RsaJwk().Json), "other");
        Assert.Null(JsonWebEncryption.Decrypt(jwe, [other]));
    }

    [Fact]
    public void One_recipient_JWE_is_flattened_with_alg_in_the_protected_header()
    {
        using var rsa = RSA.Create(2048);
        using var key = JweKey.Read(Encoding.UTF8.GetBytes(rsa.ExportSubjectPublicKeyInfoPem()), "pub");
        var jwe = System.Text.Json.JsonDocument.Parse(JsonWebEncryption.Encrypt("{}"u8.ToArray(), [key])).RootElement;
        Assert.Equal(["protected", "encrypted_key", "iv", "ciphertext", "tag"], jwe.EnumerateObject().Select(p => p.Name));
        var header = Encoding.UTF8.GetString(Convert.FromBase64String(Pad(jwe.GetProperty("protected").GetString()!)));
        Assert.Equal("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\"}", header);
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - s.Length % 4) % 4);
    }

    /// <summary>A fresh RSA private key as a JWK.</summary>
    private sealed class RsaJwk
    {
        public RsaJwk()
        {
            using var rsa = RSA.Create(2048);
            var p = rsa.ExportParameters(true);
            static string B(byte[] v) => Convert.ToBase64String(v).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            Json = $"{{\"kty\":\"RSA\",\"n\":\"{B(p.Modulus!)}\",\"e\":\"{B(p.Exponent!)}\",\"d\":\"{B(p.D!)}\",\"p\":\"{B(p.P!)}\",\"q\":\"{B(p.Q!)}\",\"dp\":\"{B(p.DP!)}\",\"dq\":\"{B(p.DQ!)}\",\"qi\":\"{B(p.InverseQ!)}\"}}";
        }

        public string Json { get; }
    }
}
