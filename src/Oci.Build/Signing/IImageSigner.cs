using System.Security.Cryptography;

namespace Oci.Build.Signing;

/// <summary>
/// Something that signs cosign payloads with an ECDSA P-256 key: a PEM key file (<see cref="PemKeySigner"/>) or a key held
/// elsewhere behind a program (<see cref="ProgramSigner"/>). Every signature it makes is checked against its public key
/// before it is used (<see cref="Signatures.SignChecked"/>), so a wrong signer fails before anything is pushed.
/// </summary>
public interface IImageSigner : IDisposable
{
    /// <summary>What the user named (the key file, <c>provider:NAME</c>): never key material.</summary>
    string Description { get; }

    /// <summary>The public half, P-256, to check the signatures this signer makes.</summary>
    ECDsa PublicKey { get; }

    /// <summary>An ASN.1 DER ECDSA signature of SHA-256(<paramref name="payload"/>).</summary>
    byte[] SignDer(byte[] payload);
}
