using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Signing;

/// <summary>
/// The independent oracle: eng/cosign-verify.sh, cosign's offline key verification done with skopeo (transport), jq and
/// openssl (ECDSA), with containers/image's identity rules. Debian's skopeo and podman are built with sigstore disabled
/// ("Debian-local change"), so their policy engine cannot be the oracle on this machine.
/// </summary>
public static class CosignCheck
{
    public static ProcessResult Verify(string publicKey, string reference, string? remap = null)
    {
        string[] arguments = [Path.Combine(RepoPaths.Root, "eng", "cosign-verify.sh"), "--key", publicKey, "--tls-verify=false",
            .. remap is null ? Array.Empty<string>() : ["--remap", remap], $"docker://{reference}"];
        return ProcessRunner.Run("bash", arguments);
    }
}
