using Oci.Build.Oci;

namespace Oci.Build.Sbom;

/// <summary>What kind of thing a component is, as SPDX's primaryPackagePurpose says it.</summary>
public enum ComponentKind
{
    /// <summary>A NuGet package the app references (directly or not).</summary>
    Package,
    /// <summary>A runtime pack (the .NET runtime of a self-contained app).</summary>
    RuntimePack,
    /// <summary>Another project of the solution (a ProjectReference).</summary>
    Project,
}

/// <summary>One component the build put into the image.</summary>
/// <param name="LicenseExpression">The SPDX license expression the package declares (nuspec <c>license type="expression"</c>), or null.</param>
/// <param name="Sha512">The NuGet package's SHA-512 (from the assets file), hex, or null.</param>
public sealed record SbomComponent(string Name, string Version, ComponentKind Kind, string? LicenseExpression = null, string? Sha512 = null);

/// <summary>Everything an SBOM of one image says: the image, the app, its components, and the base image it is built on.</summary>
public sealed record SbomInputs
{
    /// <summary>The image's repository as it is named (<c>samples/hello-oci</c>).</summary>
    public required string ImageName { get; init; }
    public string? ImageTag { get; init; }
    /// <summary>The image manifest the SBOM describes (and becomes a referrer of).</summary>
    public required Digest ManifestDigest { get; init; }
    /// <summary>The image's creation time (its config's <c>created</c>): the SBOM's own time, so a rebuild gives the same bytes.</summary>
    public required DateTimeOffset Created { get; init; }
    public required string AppName { get; init; }
    public string? AppVersion { get; init; }
    public IReadOnlyList<SbomComponent> Components { get; init; } = [];
    /// <summary>The base image's name and manifest digest, when the image has one (its annotations say so).</summary>
    public string? BaseName { get; init; }
    public Digest? BaseDigest { get; init; }
}
