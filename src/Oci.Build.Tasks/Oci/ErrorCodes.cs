namespace Oci.Build.Oci;

/// <summary>
/// Every stable error code, by area. Codes never change meaning once released; add new ones at the end of their block.
/// OCI1xxx image, OCI2xxx registry, OCI3xxx encryption, OCI4xxx bundle/relocation, OCI5xxx archive.
/// </summary>
public static class ErrorCodes
{
    // --- OCI1xxx: images, layers, layouts -------------------------------------------------------------
    /// <summary>A base image reference or form is malformed.</summary>
    public const string InvalidBaseImage = "OCI1001";
    /// <summary>A blob's content does not match its digest or size.</summary>
    public const string DigestMismatch = "OCI1002";
    /// <summary>A directory or archive is not a valid OCI image layout.</summary>
    public const string InvalidLayout = "OCI1003";
    /// <summary>The requested tag or platform is not in the base image.</summary>
    public const string ImageNotFound = "OCI1004";
    /// <summary>A manifest, index or config document is malformed or of an unsupported media type.</summary>
    public const string InvalidDocument = "OCI1005";
    /// <summary>An image setting (repository, tag, port, label, layer, ...) is invalid.</summary>
    public const string InvalidSetting = "OCI1006";
    /// <summary>The publish folder is missing or cannot be read.</summary>
    public const string PublishFolder = "OCI1007";
    /// <summary>The output paths overlap the publish folder or each other.</summary>
    public const string InvalidOutputPath = "OCI1008";
    /// <summary>A base image form that needs another capability (for example a registry) is not available.</summary>
    public const string UnsupportedBaseImage = "OCI1009";
    /// <summary>Writing the layout, archive or summary failed.</summary>
    public const string WriteFailed = "OCI1010";
    /// <summary>An archive entry is unsafe (absolute path, .., link, device, oversized).</summary>
    public const string UnsafeArchiveEntry = "OCI1011";

    // --- OCI2xxx: registries ---------------------------------------------------------------------------

    // --- OCI3xxx: encryption ---------------------------------------------------------------------------

    // --- OCI4xxx: bundles and relocation ---------------------------------------------------------------

    // --- OCI5xxx: thick archives -----------------------------------------------------------------------
}
