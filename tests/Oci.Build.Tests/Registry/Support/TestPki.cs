using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>A throwaway CA and certificates it issues, written as PEM files for docker-registry and the engine.</summary>
public sealed class TestPki
{
    private readonly X509Certificate2 _ca;

    public TestPki(string directory, string name = "Oci.Build Test CA")
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        CaFile = Path.Combine(directory, "ca.pem");
        File.WriteAllText(CaFile, _ca.ExportCertificatePem());
    }

    public string Directory { get; }

    public string CaFile { get; }

    /// <summary>A server certificate for localhost and 127.0.0.1, issued by this CA: (certificate file, key file, in-memory certificate with key).</summary>
    public (string CertFile, string KeyFile, X509Certificate2 Certificate) IssueServer(string fileName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(_ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(6), serial);
        var withKey = issued.CopyWithPrivateKey(key);
        var certFile = Path.Combine(Directory, fileName + ".crt");
        var keyFile = Path.Combine(Directory, fileName + ".key");
        File.WriteAllText(certFile, withKey.ExportCertificatePem() + "\n" + _ca.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        // SslStream on Linux wants a certificate whose key is exportable from a PFX round trip.
        var usable = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
        return (certFile, keyFile, usable);
    }
}
