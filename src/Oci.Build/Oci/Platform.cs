using System.Text.Json.Serialization;

namespace Oci.Build.Oci;

/// <summary>The platform an image runs on, as written in an index and in the image config.</summary>
public sealed record Platform
{
    [JsonPropertyName("architecture"), JsonPropertyOrder(0)]
    public required string Architecture { get; init; }

    [JsonPropertyName("os"), JsonPropertyOrder(1)]
    public required string Os { get; init; }

    [JsonPropertyName("os.version"), JsonPropertyOrder(2)]
    public string? OsVersion { get; init; }

    [JsonPropertyName("os.features"), JsonPropertyOrder(3)]
    public IReadOnlyList<string>? OsFeatures { get; init; }

    [JsonPropertyName("variant"), JsonPropertyOrder(4)]
    public string? Variant { get; init; }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>True when this platform can run an image built for <paramref name="wanted"/> (variant only compared when both name one).</summary>
    public bool Satisfies(Platform wanted) =>
        Os == wanted.Os && Architecture == wanted.Architecture &&
        (wanted.Variant is null || Variant is null || Variant == wanted.Variant);

    /// <summary>The platform for a .NET runtime identifier such as <c>linux-x64</c> or <c>linux-musl-arm64</c>.</summary>
    public static Platform FromRuntimeIdentifier(string rid)
    {
        var dash = rid.LastIndexOf('-');
        if (dash <= 0)
            throw new OciException(ErrorCodes.InvalidSetting, $"Runtime identifier '{rid}' names no architecture; use one such as linux-x64 or linux-arm64.");
        var os = rid[..dash].Split('-')[0] switch
        {
            "linux" => "linux",
            "win" => "windows",
            var other => throw new OciException(ErrorCodes.InvalidSetting, $"Runtime identifier '{rid}': container images are built for linux or win, not '{other}'."),
        };
        var (architecture, variant) = rid[(dash + 1)..] switch
        {
            "x64" => ("amd64", (string?)null),
            "x86" => ("386", null),
            "arm64" => ("arm64", "v8"),
            "arm" => ("arm", "v7"),
            "s390x" => ("s390x", null),
            "ppc64le" => ("ppc64le", null),
            "riscv64" => ("riscv64", null),
            "loongarch64" => ("loong64", null),
            var other => throw new OciException(ErrorCodes.InvalidSetting, $"Runtime identifier '{rid}': architecture '{other}' has no OCI equivalent."),
        };
        return new Platform { Os = os, Architecture = architecture, Variant = variant };
    }
}
