using System.Text.RegularExpressions;
using Oci.Build.Oci;

namespace Oci.Build.Bundles;

/// <summary>
/// Semantic Versioning 2.0.0 (semver.org), strictly: MAJOR.MINOR.PATCH, optional -prerelease and +build, no leading zeros
/// in numeric identifiers, no leading <c>v</c>. The CNAB schema's own pattern is looser (it accepts "1" and "v1.2"), and
/// tools that compare bundle versions disagree on those, so they are refused.
/// </summary>
public static partial class SemanticVersion
{
    public static bool IsValid(string? version) => version is not null && Pattern().IsMatch(version);

    public static void Require(string? version, string what)
    {
        if (IsValid(version)) return;
        var hint = version switch
        {
            null or "" => "it is empty",
            "latest" => "'latest' is not a version",
            _ when version.StartsWith('v') && IsValid(version[1..]) => $"write it without the leading 'v': {version[1..]}",
            _ when Regex.IsMatch(version, "^[0-9]+(\\.[0-9]+)?$") => $"SemVer needs three numbers, for example {version}{(version.Contains('.') ? ".0" : ".0.0")}",
            _ when Regex.IsMatch(version, "^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$") => "SemVer has three numbers, not four (a .NET assembly version is not a SemVer)",
            _ => "expected MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], for example 1.4.0 or 2.0.0-rc.1",
        };
        throw new OciException(ErrorCodes.InvalidBundleVersion, $"{what} '{version}' is not a Semantic Version 2.0.0: {hint}.");
    }

    // The regular expression semver.org publishes for SemVer 2.0.0, with [0-9] for \d (.NET's \d matches any Unicode digit).
    [GeneratedRegex(@"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
