using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Encryption.KeyWrap.Jwe;

/// <summary>
/// An RSA or EC (P-256/384/521) key for JWE, public or private, read from PEM, DER or a JWK. The curve is kept by its
/// JOSE name (<c>P-256</c>) because that is what goes into the <c>epk</c> header.
/// </summary>
public sealed class JweKey : IDisposable
{
    public const string RsaOaep = "RSA-OAEP";
    public const string RsaOaep256 = "RSA-OAEP-256";
    public const string EcdhEsA256Kw = "ECDH-ES+A256KW";

    private static readonly Dictionary<string, string> CurveByOid = new(StringComparer.Ordinal)
    {
        ["1.2.840.10045.3.1.7"] = "P-256",
        ["1.3.132.0.34"] = "P-384",
        ["1.3.132.0.35"] = "P-521",
    };

    private static readonly Dictionary<string, string> OtherKeyTypes = new(StringComparer.Ordinal)
    {
        ["1.3.101.110"] = "X25519", ["1.3.101.111"] = "X448", ["1.3.101.112"] = "Ed25519", ["1.3.101.113"] = "Ed448",
    };

    private JweKey(RSA? rsa, ECDiffieHellman? ec, string? curve, bool isPrivate, string? jwkAlgorithm)
    {
        Rsa = rsa;
        Ec = ec;
        Curve = curve;
        IsPrivate = isPrivate;
        JwkAlgorithm = jwkAlgorithm;
    }

    public RSA? Rsa { get; }
    public ECDiffieHellman? Ec { get; }
    /// <summary><c>P-256</c>, <c>P-384</c> or <c>P-521</c> for EC keys.</summary>
    public string? Curve { get; }
    public bool IsPrivate { get; }
    /// <summary>The <c>alg</c> a JWK asked for, if any.</summary>
    public string? JwkAlgorithm { get; }

    /// <summary>The key-management algorithm used when wrapping for this key (ocicrypt's choice: RSA-OAEP, ECDH-ES+A256KW, or the JWK's alg).</summary>
    public string WrapAlgorithm => JwkAlgorithm ?? (Rsa is not null ? RsaOaep : EcdhEsA256Kw);

    public string KindDescription => Rsa is not null ? $"RSA {Rsa.KeySize}-bit" : $"EC {Curve}";

    /// <summary>SHA-256 of the public key's SubjectPublicKeyInfo: what identifies it whatever file it came from.</summary>
    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(Rsa?.ExportSubjectPublicKeyInfo() ?? Ec!.ExportSubjectPublicKeyInfo()));

    public static int CurveSize(string curve) => curve switch { "P-256" => 32, "P-384" => 48, "P-521" => 66, _ => throw new ArgumentOutOfRangeException(nameof(curve)) };

    public static ECCurve CurveOf(string curve) => curve switch
    {
        "P-256" => ECCurve.NamedCurves.nistP256,
        "P-384" => ECCurve.NamedCurves.nistP384,
        "P-521" => ECCurve.NamedCurves.nistP521,
        _ => throw new ArgumentOutOfRangeException(nameof(curve)),
    };

    /// <summary>Reads a key file's content. <paramref name="what"/> names it in errors.</summary>
    /// <exception cref="OciException">Not a key, an unsupported key type or curve, or a wrong passphrase.</exception>
    public static JweKey Read(byte[] content, string what, string? passphrase = null)
    {
        var text = TryText(content);
        if (text is not null && text.TrimStart().StartsWith('{')) return FromJwk(text, what);
        if (text is not null && text.Contains("-----BEGIN", StringComparison.Ordinal)) return FromPem(text, what, passphrase);
        return FromDer(content, what, passphrase);
    }

    private static JweKey FromPem(string text, string what, string? passphrase)
    {
        var remaining = text.AsSpan();
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            var label = remaining[fields.Label].ToString();
            var der = Convert.FromBase64String(remaining[fields.Base64Data].ToString());
            remaining = remaining[fields.Location.End.Value..];
            switch (label)
            {
                case "EC PARAMETERS":
                    continue; // `openssl ecparam -genkey` writes the curve before the key
                case "PUBLIC KEY" or "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY":
                    return FromDer(der, what, passphrase);
                case "RSA PUBLIC KEY":
                    return FromRsa(r => r.ImportRSAPublicKey(der, out _), false, what);
                case "RSA PRIVATE KEY":
                    return FromRsa(r => r.ImportRSAPrivateKey(der, out _), true, what);
                case "EC PRIVATE KEY":
                    return FromEcPrivate(e => e.ImportECPrivateKey(der, out _), what);
                case "CERTIFICATE":
                    throw new OciException(ErrorCodes.WrongKeyType, $"{what} is an X.509 certificate; JWE needs a public key (use pkcs7: for certificates).");
                default:
                    throw new OciException(ErrorCodes.WrongKeyType, $"{what} holds a PEM '{label}' block; JWE needs an RSA or EC key (PEM, DER or JWK).");
            }
        }
        if (text.Contains("BEGIN PGP", StringComparison.Ordinal))
            throw new OciException(ErrorCodes.WrongKeyType, $"{what} is an OpenPGP key; use pgp: for it.");
        throw new OciException(ErrorCodes.WrongKeyType, $"{what} holds no PEM key block.");
    }

    private static JweKey FromDer(byte[] der, string what, string? passphrase)
    {
        var (oid, parameterOid, kind) = ReadAlgorithm(der);
        if (kind == DerKind.EncryptedPkcs8)
        {
            if (passphrase is null)
                throw new OciException(ErrorCodes.DecryptionKeyUnreadable, $"{what} is an encrypted private key; give its passphrase (FILE:pass=PASSPHRASE).");
            return TryEncrypted(der, what, passphrase);
        }
        if (oid is null)
        {
            // Not SPKI or PKCS#8: PKCS#1 RSA or SEC1 EC, which carry no algorithm identifier.
            try { return FromRsa(r => r.ImportRSAPrivateKey(der, out _), true, what); } catch (CryptographicException) { }
            try { return FromRsa(r => r.ImportRSAPublicKey(der, out _), false, what); } catch (CryptographicException) { }
            try { return FromEcPrivate(e => e.ImportECPrivateKey(der, out _), what); } catch (CryptographicException) { }
            throw new OciException(ErrorCodes.WrongKeyType, $"{what} is not an RSA or EC key in PEM, DER (SPKI, PKCS#8, PKCS#1, SEC1) or JWK form.");
        }
        var isPrivate = kind == DerKind.Pkcs8;
        switch (oid)
        {
            case "1.2.840.113549.1.1.1" or "1.2.840.113549.1.1.7":
                return FromRsa(r => { if (isPrivate) r.ImportPkcs8PrivateKey(der, out _); else r.ImportSubjectPublicKeyInfo(der, out _); }, isPrivate, what);
            case "1.2.840.10045.2.1":
                var curve = parameterOid is not null && CurveByOid.TryGetValue(parameterOid, out var name) ? name
                    : throw new OciException(ErrorCodes.UnsupportedCurve, $"{what} is an EC key on curve {parameterOid ?? "(unnamed)"}; JWE supports P-256, P-384 and P-521.");
                var ec = ECDiffieHellman.Create();
                try
                {
                    if (isPrivate) ec.ImportPkcs8PrivateKey(der, out _); else ec.ImportSubjectPublicKeyInfo(der, out _);
                }
                catch (CryptographicException ex)
                {
                    ec.Dispose();
                    throw new OciException(ErrorCodes.WrongKeyType, $"{what} is not a readable EC key: {ex.Message}", ex);
                }
                return new JweKey(null, ec, curve, isPrivate, null);
            default:
                if (OtherKeyTypes.TryGetValue(oid, out var other))
                    throw new OciException(ErrorCodes.UnsupportedCurve, $"{what} is an {other} key; JWE recipients must be RSA or EC on P-256, P-384 or P-521.");
                throw new OciException(ErrorCodes.WrongKeyType, $"{what} is a key of algorithm {oid}; JWE needs RSA or EC (P-256, P-384, P-521).");
        }
    }

    private static JweKey TryEncrypted(byte[] der, string what, string passphrase)
    {
        try
        {
            using var probe = RSA.Create();
            probe.ImportEncryptedPkcs8PrivateKey(passphrase, der, out _);
            return FromDer(probe.ExportPkcs8PrivateKey(), what, null);
        }
        catch (CryptographicException) { }
        try
        {
            using var probe = ECDiffieHellman.Create();
            probe.ImportEncryptedPkcs8PrivateKey(passphrase, der, out _);
            return FromDer(probe.ExportPkcs8PrivateKey(), what, null);
        }
        catch (CryptographicException ex)
        {
            throw new OciException(ErrorCodes.DecryptionKeyUnreadable, $"{what} cannot be decrypted with the given passphrase, or is not an RSA/EC key: {ex.Message}", ex);
        }
    }

    private static JweKey FromRsa(Action<RSA> import, bool isPrivate, string what, string? algorithm = null)
    {
        var rsa = RSA.Create();
        try
        {
            import(rsa);
        }
        catch (CryptographicException ex)
        {
            rsa.Dispose();
            throw new OciException(ErrorCodes.WrongKeyType, $"{what} is not a readable RSA key: {ex.Message}", ex);
        }
        return new JweKey(rsa, null, null, isPrivate, algorithm);
    }

    private static JweKey FromEcPrivate(Action<ECDiffieHellman> import, string what)
    {
        var ec = ECDiffieHellman.Create();
        try
        {
            import(ec);
        }
        catch (CryptographicException ex)
        {
            ec.Dispose();
            throw new OciException(ErrorCodes.WrongKeyType, $"{what} is not a readable EC key: {ex.Message}", ex);
        }
        var oid = ec.ExportParameters(false).Curve.Oid?.Value;
        if (oid is null || !CurveByOid.TryGetValue(oid, out var curve))
        {
            ec.Dispose();
            throw new OciException(ErrorCodes.UnsupportedCurve, $"{what} is an EC key on curve {oid ?? "(unnamed)"}; JWE supports P-256, P-384 and P-521.");
        }
        return new JweKey(null, ec, curve, true, null);
    }

    private static JweKey FromJwk(string json, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var jwk = document.RootElement;
            string? Field(string name) => jwk.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            byte[]? Bytes(string name, int? size = null) => Field(name) is { } v ? LeftPad(Base64.Decode(v), size) : null;
            var algorithm = Field("alg");
            if (algorithm is not null && algorithm is not (RsaOaep or RsaOaep256 or EcdhEsA256Kw or "ECDH-ES+A128KW" or "ECDH-ES+A192KW"))
                throw new OciException(ErrorCodes.WrongKeyType, $"{what} asks for JWE algorithm '{algorithm}'; supported are RSA-OAEP, RSA-OAEP-256 and ECDH-ES+A256KW.");
            switch (Field("kty"))
            {
                case "RSA":
                    var n = Bytes("n") ?? throw new FormatException("'n' is missing");
                    var half = (n.Length + 1) / 2;
                    var parameters = new RSAParameters
                    {
                        Modulus = n, Exponent = Bytes("e") ?? throw new FormatException("'e' is missing"),
                        D = Bytes("d", n.Length), P = Bytes("p", half), Q = Bytes("q", half), DP = Bytes("dp", half), DQ = Bytes("dq", half), InverseQ = Bytes("qi", half),
                    };
                    return FromRsa(r => r.ImportParameters(parameters), parameters.D is not null, what, algorithm);
                case "EC":
                    var curve = Field("crv") is { } crv && crv is "P-256" or "P-384" or "P-521" ? crv
                        : throw new OciException(ErrorCodes.UnsupportedCurve, $"{what} is an EC JWK on curve '{Field("crv")}'; JWE supports P-256, P-384 and P-521.");
                    var size = CurveSize(curve);
                    var ecParameters = new ECParameters
                    {
                        Curve = CurveOf(curve),
                        Q = new ECPoint { X = Bytes("x", size) ?? throw new FormatException("'x' is missing"), Y = Bytes("y", size) ?? throw new FormatException("'y' is missing") },
                        D = Bytes("d", size),
                    };
                    var ec = ECDiffieHellman.Create();
                    try { ec.ImportParameters(ecParameters); }
                    catch (CryptographicException ex) { ec.Dispose(); throw new OciException(ErrorCodes.WrongKeyType, $"{what} is not a valid EC JWK: {ex.Message}", ex); }
                    return new JweKey(null, ec, curve, ecParameters.D is not null, algorithm);
                case var other:
                    throw new OciException(other is "OKP" ? ErrorCodes.UnsupportedCurve : ErrorCodes.WrongKeyType,
                        $"{what} is a JWK of type '{other}'; JWE needs kty RSA or EC (P-256, P-384, P-521).");
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or CryptographicException)
        {
            throw new OciException(ErrorCodes.WrongKeyType, $"{what} is not a valid JWK: {ex.Message}", ex);
        }
    }

    private enum DerKind { Unknown, Spki, Pkcs8, EncryptedPkcs8 }

    /// <summary>The algorithm (and curve) OID of an SPKI or PKCS#8 structure, without trusting it to be either.</summary>
    private static (string? Oid, string? ParameterOid, DerKind Kind) ReadAlgorithm(byte[] der)
    {
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            if (outer.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                outer.ReadInteger();
                return ReadAlgorithmIdentifier(outer.ReadSequence()) is var (oid, p) ? (oid, p, DerKind.Pkcs8) : default;
            }
            var first = outer.ReadSequence();
            if (outer.HasData && outer.PeekTag().HasSameClassAndValue(Asn1Tag.PrimitiveOctetString))
                return (null, null, DerKind.EncryptedPkcs8);
            var (algorithm, parameter) = ReadAlgorithmIdentifier(first);
            return (algorithm, parameter, DerKind.Spki);
        }
        catch (AsnContentException)
        {
            return (null, null, DerKind.Unknown);
        }
    }

    private static (string Oid, string? ParameterOid) ReadAlgorithmIdentifier(AsnReader sequence)
    {
        var oid = sequence.ReadObjectIdentifier();
        string? parameter = sequence.HasData && sequence.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier) ? sequence.ReadObjectIdentifier() : null;
        return (oid, parameter);
    }

    private static byte[] LeftPad(byte[] value, int? size)
    {
        if (size is null || value.Length >= size) return value;
        var padded = new byte[size.Value];
        value.CopyTo(padded, size.Value - value.Length);
        return padded;
    }

    private static string? TryText(byte[] content)
    {
        try
        {
            var text = new UTF8Encoding(false, true).GetString(content);
            return text.Any(c => char.IsControl(c) && c is not ('\r' or '\n' or '\t')) ? null : text;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        Rsa?.Dispose();
        Ec?.Dispose();
    }
}
