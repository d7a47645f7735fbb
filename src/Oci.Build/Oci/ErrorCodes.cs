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
    /// <summary>Warning: a framework-dependent app on the empty (scratch) base has no .NET runtime to start it.</summary>
    public const string NoRuntimeInImage = "OCI1012";
    // OCI1013 is retired (it warned that several ContainerRuntimeIdentifiers still built one image): never reuse it.
    /// <summary>Warning: AutoGenerateImageTag (Visual Studio's clock tag) is not supported; the image keeps its configured tags.</summary>
    public const string ClockTagUnsupported = "OCI1014";

    // sdk: the .NET SDK's container surface (OCI1040-1059) ------------------------------------------------
    /// <summary>A ContainerWritableDirectory has no numeric owner, or names a file of the publish folder.</summary>
    public const string WritableDirectoryOwner = "OCI1040";
    /// <summary>ContainerImageFormat is unknown, or Docker was asked with something Docker's media types cannot say (zstd, uncompressed, encrypted layers).</summary>
    public const string ImageFormatUnsupported = "OCI1041";
    /// <summary>ContainerAppCommandInstruction is unknown, or conflicts with the deprecated ContainerEntrypoint items.</summary>
    public const string AppCommandInstruction = "OCI1042";
    /// <summary>LocalRegistry names an engine that is not Podman or Docker, or loading the image into it failed.</summary>
    public const string LocalRegistryLoad = "OCI1043";

    // trust (issue 11, OCI1080-1089): SBOMs
    /// <summary>The SBOM cannot be produced: the project's assets file (obj/project.assets.json) is missing or malformed.</summary>
    public const string SbomUnavailable = "OCI1080";

    // platforms (multi-platform output): OCI1030-1039
    /// <summary>A single-platform base image is built for another platform than the one being published (no index to choose from).</summary>
    public const string BasePlatformMismatch = "OCI1030";
    /// <summary>Two ContainerRuntimeIdentifiers map to the same OCI platform (linux-x64 and linux-musl-x64): an index holds one image per platform.</summary>
    public const string DuplicatePlatform = "OCI1031";

    // --- OCI2xxx: registries ---------------------------------------------------------------------------
    /// <summary>A registry, repository or push target name is malformed.</summary>
    public const string InvalidRegistryReference = "OCI2001";
    /// <summary>The registry could not be reached (connection refused, DNS, timeout), even after retries.</summary>
    public const string RegistryUnreachable = "OCI2002";
    /// <summary>The registry wants credentials and none were found, or the ones found were refused.</summary>
    public const string RegistryAuthenticationFailed = "OCI2003";
    /// <summary>The credential is valid but not allowed to do this (pull or push) on this repository.</summary>
    public const string RegistryAccessDenied = "OCI2004";
    /// <summary>The repository, tag or manifest does not exist on the registry.</summary>
    public const string RegistryManifestNotFound = "OCI2005";
    /// <summary>A blob is not readable through the repository that names it.</summary>
    public const string RegistryBlobNotFound = "OCI2006";
    /// <summary>TLS failed: the certificate is not trusted or the connection is not secure enough.</summary>
    public const string RegistryTlsFailed = "OCI2007";
    /// <summary>Content from the registry does not match its digest or size.</summary>
    public const string RegistryDigestMismatch = "OCI2008";
    /// <summary>The registry answered in a way the distribution protocol does not allow.</summary>
    public const string RegistryProtocolError = "OCI2009";
    /// <summary>registries.conf blocks this registry or name.</summary>
    public const string RegistryBlocked = "OCI2010";
    /// <summary>registries.conf, hosts.toml, a credentials file or a delegation document is malformed.</summary>
    public const string RegistryConfigInvalid = "OCI2011";
    /// <summary>A docker-credential-* helper failed.</summary>
    public const string CredentialHelperFailed = "OCI2012";
    /// <summary>The registry refused an upload or a manifest.</summary>
    public const string RegistryPushRejected = "OCI2013";
    /// <summary>The base image is pinned but not cached, and the registry cannot be reached (offline).</summary>
    public const string RegistryOffline = "OCI2014";
    /// <summary>A push setting (registry, repository, layout) is missing or inconsistent.</summary>
    public const string InvalidPushSetting = "OCI2015";

    // harden (OCI2030-2049): faults of the transport
    /// <summary>A download from the registry ended before its declared size, and resuming it (Range) did not complete it.</summary>
    public const string RegistryBodyTruncated = "OCI2030";
    /// <summary>A response body from the registry stalled (nothing for the idle timeout), and resuming it did not complete it.</summary>
    public const string RegistryBodyStalled = "OCI2031";
    /// <summary>A token, error or document answer from the registry is larger than the limit for it.</summary>
    public const string RegistryAnswerTooLarge = "OCI2032";
    /// <summary>A layer of the previous image (ContainerPreviousImage) is not what its config says: it was built here instead.</summary>
    public const string PreviousLayerMismatch = "OCI2033";

    // --- OCI3xxx: encryption ---------------------------------------------------------------------------
    /// <summary>An encryption recipient is not SCHEME:VALUE with a known scheme, or its value is empty or malformed.</summary>
    public const string MalformedRecipient = "OCI3001";
    /// <summary>A recipient's key or certificate file is missing or cannot be read.</summary>
    public const string KeyFileUnreadable = "OCI3002";
    /// <summary>A key file holds the wrong kind of key for its scheme (private instead of public, no encryption key, ...).</summary>
    public const string WrongKeyType = "OCI3003";
    /// <summary>A recipient's RSA key is shorter than 2048 bits.</summary>
    public const string WeakKey = "OCI3004";
    /// <summary>A recipient's elliptic curve is not P-256, P-384 or P-521.</summary>
    public const string UnsupportedCurve = "OCI3005";
    /// <summary>A recipient's certificate or OpenPGP key is expired, not yet valid or revoked.</summary>
    public const string KeyNotValid = "OCI3006";
    /// <summary>A key provider is not configured, cannot be started, fails or answers nonsense.</summary>
    public const string KeyProviderFailed = "OCI3007";
    /// <summary>ContainerEncrypt=true but no recipient is listed.</summary>
    public const string NoRecipients = "OCI3008";
    /// <summary>ContainerEncryptLayers names a layer the image does not have, or one that cannot be encrypted.</summary>
    public const string UnknownEncryptLayer = "OCI3009";
    /// <summary>None of the given private keys can unwrap an encrypted layer's key.</summary>
    public const string NoMatchingKey = "OCI3010";
    /// <summary>An encrypted layer fails authentication (HMAC): it was tampered with or belongs to other options.</summary>
    public const string LayerIntegrity = "OCI3011";
    /// <summary>An encrypted layer's annotations are missing, malformed or name an unknown cipher.</summary>
    public const string InvalidEncryptedLayer = "OCI3012";
    /// <summary>A decryption key file is missing, unreadable or of no known kind.</summary>
    public const string DecryptionKeyUnreadable = "OCI3013";


    // harden (OCI3014-3029): secrets
    /// <summary>A decryption passphrase was given inline (FILE:pass=..., Passphrase metadata) where logs and process lists show it.</summary>
    public const string InlinePassphrase = "OCI3014";

    // trust (issue 11, OCI3030-3059): signatures
    /// <summary>The signing key (ContainerSigningKey) is missing or cannot be read.</summary>
    public const string SigningKeyUnreadable = "OCI3030";
    /// <summary>The signing key is not an EC P-256 private key (RSA, P-384, a public key, a cosign-encrypted key).</summary>
    public const string SigningKeyType = "OCI3031";
    /// <summary>The signing key is encrypted and OCI_SIGNING_KEY_PASSWORD is not set or is wrong.</summary>
    public const string SigningKeyPassword = "OCI3032";
    /// <summary>A signer program (provider:NAME, oci-signer-NAME) is missing, fails, or answers nonsense.</summary>
    public const string SignerFailed = "OCI3033";
    /// <summary>A signature does not verify with the key (made wrong, tampered with, or another key's).</summary>
    public const string SignatureInvalid = "OCI3034";
    /// <summary>An image that must be signed has no signature.</summary>
    public const string SignatureMissing = "OCI3035";
    /// <summary>A public key for verification is missing, unreadable, or not EC P-256.</summary>
    public const string VerificationKeyUnreadable = "OCI3036";

    // trust2 (issue 11, OCI3037-3059): signature policies at the site
    /// <summary>A policy.json (--policy) is missing, unreadable, not JSON, or malformed.</summary>
    public const string PolicyUnreadable = "OCI3037";
    /// <summary>A policy.json uses a requirement or field this tool does not check (signedBy, fulcio, rekor...): refused, never ignored.</summary>
    public const string PolicyUnsupported = "OCI3038";
    /// <summary>The policy rejects an image: a reject requirement, or no verified signature names an identity the policy accepts.</summary>
    public const string PolicyRejected = "OCI3039";

    // --- OCI4xxx: bundles and relocation ---------------------------------------------------------------
    // bundle (issue 8): OCI4001-4049
    /// <summary>A bundle version (ContainerBundleVersion, or Version by default) is not a Semantic Version 2.0.0.</summary>
    public const string InvalidBundleVersion = "OCI4001";
    /// <summary>A bundle.json is malformed or fails the semantic checks (schema version, digests, sizes, media types, references).</summary>
    public const string InvalidBundle = "OCI4002";
    /// <summary>A ContainerBundleImage (or ContainerBundleInvocationImage) cannot be resolved to a digest.</summary>
    public const string BundleImageUnresolvable = "OCI4003";
    /// <summary>A bundle setting (name, images, run script, invocation image) is missing or inconsistent.</summary>
    public const string InvalidBundleSetting = "OCI4004";
    /// <summary>Writing bundle.json or relocation-mapping.json failed (nothing half-written is left).</summary>
    public const string BundleWriteFailed = "OCI4005";
    /// <summary>The relocation target registry refuses the pushes or the credentials.</summary>
    public const string RelocationTargetRefused = "OCI4006";
    /// <summary>An image the bundle names is missing from the source it is relocated or pushed from.</summary>
    public const string BundleImageMissing = "OCI4007";

    // archive (issue 9): OCI4050-4069, bundles inside thick archives
    /// <summary>A thick archive's bundle.json names an image its layout does not hold (or holds under another digest).</summary>
    public const string ArchiveBundleImageMissing = "OCI4050";
    /// <summary>A thick archive's relocation-mapping.json does not name exactly the bundle's images.</summary>
    public const string ArchiveMappingMismatch = "OCI4051";

    // --- OCI5xxx: thick archives -----------------------------------------------------------------------

    // trust (issue 11, OCI5130-5139): the receiving side's trust commands
    /// <summary>The image has no SBOM attached (dotnet oci sbom).</summary>
    public const string SbomNotAttached = "OCI5130";

    // trust2 (issue 11, OCI5131-5139): signed thick archives
    /// <summary>A key or policy was given, but the thick archive's checksums.sha256 is not signed (no checksums.sha256.sig).</summary>
    public const string ArchiveNotSigned = "OCI5131";
    /// <summary>The thick archive's checksums.sha256.sig does not verify with the key (tampered, or another key's).</summary>
    public const string ArchiveSignatureInvalid = "OCI5132";

    // harden (OCI5020-5039): the receiving side
    /// <summary>An unexpected failure (a bug): reported without a stack trace; never the answer to bad input.</summary>
    public const string InternalError = "OCI5020";
    /// <summary>An output path holds data this tool did not write (a non-empty foreign folder, a file): refused without --force.</summary>
    public const string OutputNotOurs = "OCI5021";
    /// <summary>The command was started in a folder that no longer exists (deleted or moved away under it), so no relative path can be resolved.</summary>
    public const string WorkingDirectoryGone = "OCI5022";

    // archive (issue 9): OCI5050-5099, thick archives, parts, import and export
    /// <summary>A file is not a thick archive: bundle.json, relocation-mapping.json, checksums.sha256 or artifacts/layout is missing or malformed.</summary>
    public const string InvalidThickArchive = "OCI5050";
    /// <summary>An archive ends before an entry's declared bytes (truncated, or a gigantic declared size).</summary>
    public const string ArchiveTruncated = "OCI5051";
    /// <summary>A file of a thick archive does not match checksums.sha256, or is missing from it, or is listed but absent.</summary>
    public const string ArchiveChecksumMismatch = "OCI5052";
    /// <summary>A part of a split archive is missing.</summary>
    public const string ArchivePartMissing = "OCI5053";
    /// <summary>A part of a split archive is damaged (size or sha256 differs from the parts description), or the description is malformed.</summary>
    public const string ArchivePartDamaged = "OCI5054";
    /// <summary>A part size (ContainerThickArchivePartSize, split --size) is not a positive size such as 4.7G.</summary>
    public const string InvalidPartSize = "OCI5055";
    /// <summary>Writing a thick archive or its parts failed (nothing half-written is left).</summary>
    public const string ArchiveWriteFailed = "OCI5056";
    /// <summary>An import was refused before anything was pushed: the archive failed verification.</summary>
    public const string ImportRefused = "OCI5057";

    // delta (OCI5070-5089, OCI4060-4069): delta archives (issue 10)
    /// <summary>A delta's baseline (ContainerArchiveBaseline, export --baseline) is missing or is not a thick archive, an archive index or a checksums.sha256 file.</summary>
    public const string InvalidArchiveBaseline = "OCI5070";
    /// <summary>A baseline archive index (.index.json) or checksum file is malformed.</summary>
    public const string DamagedArchiveBaseline = "OCI5071";
    /// <summary>A delta archive's delta.json is malformed, or does not agree with its layout (a blob neither carried nor expected).</summary>
    public const string InvalidDeltaRecord = "OCI5072";
    /// <summary>A delta import was refused before anything was pushed: the site registry lacks blobs the delta expects it to have.</summary>
    public const string DeltaBaseMissing = "OCI5073";
    /// <summary>A blob of a delta archive was read, but the delta does not carry it: the site has it from the baseline.</summary>
    public const string DeltaBlobNotCarried = "OCI5074";
    /// <summary>serve: a delta archive was given without the archive(s) holding the blobs it expects.</summary>
    public const string DeltaServedWithoutBase = "OCI5075";
    /// <summary>The baseline is an archive of another bundle than the one being archived.</summary>
    public const string BaselineOfAnotherBundle = "OCI4060";
    /// <summary>delta.json names a repository that is none of the bundle's images, so the import cannot check the site through it.</summary>
    public const string DeltaRepositoryNotInBundle = "OCI4061";
    // tool (issue 9, OCI5058-5069): the tool package carried in a thick archive, import and export speed
    /// <summary>ContainerArchiveIncludeTool=true (or a ContainerArchiveToolPackage item) names a tool package that does not exist.</summary>
    public const string ToolPackageMissing = "OCI5058";
    /// <summary>A tool package to carry (or carried) in a thick archive is not a readable .NET tool package (.nupkg with a nuspec and the DotnetTool package type).</summary>
    public const string ToolPackageDamaged = "OCI5059";

    // serve (OCI5100-5129): `dotnet oci serve` and the command line
    /// <summary>--listen is not HOST:PORT with an IP address (or localhost) and a port.</summary>
    public const string InvalidListenAddress = "OCI5100";
    /// <summary>The server could not listen on the address (in use, not this machine's, no permission).</summary>
    public const string ListenFailed = "OCI5101";
    /// <summary>The TLS certificate or key given with --tls-cert/--tls-key cannot be read or do not belong together.</summary>
    public const string InvalidTlsCertificate = "OCI5102";
    /// <summary>The access file (--access) is unreadable or malformed: users, tokens and pull grants.</summary>
    public const string InvalidAccessFile = "OCI5103";
    /// <summary>An image's name (org.opencontainers.image.ref.name, NAME=LOCATION, or --prefix) is not a valid repository name.</summary>
    public const string InvalidRepositoryName = "OCI5104";
    /// <summary>Two locations give the same repository and tag to different images.</summary>
    public const string ConflictingTag = "OCI5105";
    /// <summary>The locations to serve hold no image at all.</summary>
    public const string NothingToServe = "OCI5106";
    /// <summary>Warning: serving on a non-loopback address without TLS: credentials and images cross the network in clear text.</summary>
    public const string PlainHttpOnNetwork = "OCI5107";
    /// <summary>Warning: the access file can be read by other users of this machine; it holds passwords and tokens.</summary>
    public const string AccessFileReadable = "OCI5108";

    // lead (OCI1090-1099)
    /// <summary>The build was canceled (Ctrl+C, an IDE's cancel) while a task ran; nothing it was writing was committed.</summary>
    public const string Canceled = "OCI1090";
    /// <summary>An image layout would be written over a folder that holds something else (or over a file).</summary>
    public const string LayoutOutputNotOurs = "OCI1091";
    /// <summary>Another process kept an output locked (it is writing the same layout) for longer than the lock timeout (10 minutes).</summary>
    public const string OutputLocked = "OCI1092";

    // engine (OCI1093-1099)
    /// <summary>The build result file (obj/, written by the image step for the steps after it) is missing or not one this version wrote.</summary>
    public const string BuildResultUnreadable = "OCI1093";
}
