using System.CommandLine;
using Oci.Build.Signing;

namespace Oci.Build.Cli;

/// <summary><c>--key PUB.pem</c> or <c>--policy policy.json</c>: what verify and import require of signatures (docs/trust.md).</summary>
public sealed class TrustOptions
{
    public Option<string> Key { get; } = new("--key")
    {
        Description = "Require signatures by this public key (PEM, EC P-256): the archive's checksums.sha256.sig and each image's cosign signature naming it (a registry image's SBOM referrer too).",
        HelpName = "PUB.pem",
    };

    public Option<string> Policy { get; } = new("--policy")
    {
        Description = "Require what this containers-policy.json asks (default and transports.docker scopes; sigstoreSigned with keys, signedIdentity incl. remapIdentity).",
        HelpName = "policy.json",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Key);
        command.Options.Add(Policy);
    }

    /// <summary>The policy the options name, or null when neither is given.</summary>
    public SignaturePolicy? Open(ParseResult parse)
    {
        var key = parse.GetValue(Key);
        var policy = parse.GetValue(Policy);
        if (key is not null && policy is not null) throw new UsageException("Give --key or --policy, not both (a policy names its keys itself).");
        return key is not null ? SignaturePolicy.ForKey(Path.GetFullPath(key)) : policy is not null ? SignaturePolicy.Load(policy) : null;
    }
}
