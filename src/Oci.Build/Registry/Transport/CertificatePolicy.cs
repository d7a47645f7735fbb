using Oci.Build.Oci;
using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Oci.Build.Registry.Transport;

/// <summary>
/// Certificate validation for one host: the system's trust, plus the host's extra CA files, or nothing at all when the
/// host is configured as insecure. Remembers why a certificate was refused, so the transport can tell "this server's
/// certificate is not trusted" apart from "this server speaks no TLS".
/// </summary>
public sealed class CertificatePolicy
{
    private readonly X509Certificate2Collection _extraRoots = [];
    private readonly ConcurrentQueue<string> _failures = new();

    public CertificatePolicy(string host, bool skipVerify, IEnumerable<string> caFiles)
    {
        Host = host;
        SkipVerify = skipVerify;
        foreach (var file in caFiles)
        {
            if (!File.Exists(file))
                throw new Oci.OciException(Oci.ErrorCodes.RegistryConfigInvalid, $"The CA file '{file}' configured for {host} does not exist.");
            _extraRoots.ImportFromPemFile(file);
        }
    }

    public string Host { get; }

    public bool SkipVerify { get; }

    /// <summary>The last reason a certificate was refused, if any.</summary>
    public string? LastFailure => _failures.LastOrDefault();

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (SkipVerify || errors == SslPolicyErrors.None) return true;
        if (certificate is null)
            return Refuse("the server sent no certificate");
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return Refuse($"the certificate does not name {Host}");
        if (_extraRoots.Count == 0)
            return Refuse("the certificate is not issued by a trusted authority");

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf) || Refuse("the certificate is issued by neither a system-trusted nor a configured CA");
    }

    private bool Refuse(string reason)
    {
        _failures.Enqueue(reason);
        return false;
    }
}
