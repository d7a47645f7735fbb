using System.Text;
using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Sbom;

/// <summary>
/// Writes the SBOM as SPDX 2.3 JSON. SPDX rather than CycloneDX: CycloneDX's .NET library is not in the package source
/// here, SPDX 2.3 JSON is plain JSON a few dozen lines write, and it is the format Microsoft's own sbom-tool writes for
/// .NET (and what GitHub, syft and trivy read). Hand-written with System.Text.Json for that reason: no kept .NET library
/// writes SPDX 2.3 JSON. Reproducible: the time is the image's, the namespace and every SPDXID come from names,
/// versions and the image digest; the same image gives the same bytes.
/// </summary>
public static class SpdxDocument
{
    public const string MediaType = "application/spdx+json";

    public static byte[] Write(SbomInputs inputs)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("spdxVersion", "SPDX-2.3");
            json.WriteString("dataLicense", "CC0-1.0");
            json.WriteString("SPDXID", "SPDXRef-DOCUMENT");
            json.WriteString("name", $"{inputs.ImageName}{(inputs.ImageTag is null ? "" : ":" + inputs.ImageTag)}");
            // A URI nothing resolves (.invalid is reserved for that), unique per image because it holds its digest.
            json.WriteString("documentNamespace", $"https://oci-build.invalid/spdx/{inputs.ImageName}/{inputs.ManifestDigest.Algorithm}-{inputs.ManifestDigest.Hex}");
            json.WriteStartObject("creationInfo");
            json.WriteString("created", inputs.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartArray("creators");
            json.WriteStringValue("Tool: Oci.Build");
            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteStartArray("packages");
            WritePackage(json, "SPDXRef-Image", inputs.ImageName, inputs.ImageTag ?? inputs.ManifestDigest.ToString(), "CONTAINER", null,
                ("SHA256", inputs.ManifestDigest.Hex), OciPurl(inputs.ImageName, inputs.ManifestDigest));
            WritePackage(json, "SPDXRef-App", inputs.AppName, inputs.AppVersion, "APPLICATION", null, null, null);
            foreach (var component in inputs.Components)
            {
                WritePackage(json, Id(component), component.Name, component.Version,
                    component.Kind switch { ComponentKind.RuntimePack => "FRAMEWORK", _ => "LIBRARY" },
                    component.LicenseExpression, component.Sha512 is null ? null : ("SHA512", component.Sha512),
                    component.Kind == ComponentKind.Project ? null : $"pkg:nuget/{component.Name}@{component.Version}");
            }
            if (inputs.BaseName is not null && inputs.BaseDigest is { } baseDigest)
                WritePackage(json, "SPDXRef-BaseImage", inputs.BaseName, baseDigest.ToString(), "CONTAINER", null, ("SHA256", baseDigest.Hex), OciPurl(inputs.BaseName, baseDigest));
            json.WriteEndArray();

            json.WriteStartArray("relationships");
            WriteRelationship(json, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");
            WriteRelationship(json, "SPDXRef-Image", "CONTAINS", "SPDXRef-App");
            foreach (var component in inputs.Components)
            {
                if (component.Kind == ComponentKind.RuntimePack) WriteRelationship(json, "SPDXRef-Image", "CONTAINS", Id(component));
                else WriteRelationship(json, "SPDXRef-App", "DEPENDS_ON", Id(component));
            }
            if (inputs.BaseName is not null && inputs.BaseDigest is not null) WriteRelationship(json, "SPDXRef-Image", "DESCENDANT_OF", "SPDXRef-BaseImage");
            json.WriteEndArray();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WritePackage(Utf8JsonWriter json, string id, string name, string? version, string purpose, string? license, (string Algorithm, string Value)? checksum, string? purl)
    {
        json.WriteStartObject();
        json.WriteString("SPDXID", id);
        json.WriteString("name", name);
        if (version is not null) json.WriteString("versionInfo", version);
        json.WriteString("downloadLocation", "NOASSERTION");
        json.WriteBoolean("filesAnalyzed", false);
        json.WriteString("licenseConcluded", "NOASSERTION");
        json.WriteString("licenseDeclared", license ?? "NOASSERTION");
        json.WriteString("copyrightText", "NOASSERTION");
        if (checksum is { } c)
        {
            json.WriteStartArray("checksums");
            json.WriteStartObject();
            json.WriteString("algorithm", c.Algorithm);
            json.WriteString("checksumValue", c.Value);
            json.WriteEndObject();
            json.WriteEndArray();
        }
        if (purl is not null)
        {
            json.WriteStartArray("externalRefs");
            json.WriteStartObject();
            json.WriteString("referenceCategory", "PACKAGE-MANAGER");
            json.WriteString("referenceType", "purl");
            json.WriteString("referenceLocator", purl);
            json.WriteEndObject();
            json.WriteEndArray();
        }
        json.WriteString("primaryPackagePurpose", purpose);
        json.WriteEndObject();
    }

    private static void WriteRelationship(Utf8JsonWriter json, string from, string type, string to)
    {
        json.WriteStartObject();
        json.WriteString("spdxElementId", from);
        json.WriteString("relationshipType", type);
        json.WriteString("relatedSpdxElement", to);
        json.WriteEndObject();
    }

    /// <summary>SPDXIDs are letters, digits, '.' and '-': derived from kind, name and version, so they are stable.</summary>
    private static string Id(SbomComponent component)
    {
        var text = new StringBuilder(component.Kind switch { ComponentKind.Project => "SPDXRef-Project-", ComponentKind.RuntimePack => "SPDXRef-Runtime-", _ => "SPDXRef-Package-" });
        foreach (var c in $"{component.Name}-{component.Version}") text.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-');
        return text.ToString();
    }

    /// <summary>The package URL of an OCI image: <c>pkg:oci/NAME@sha256%3AHEX?repository_url=REGISTRY/PATH</c>.</summary>
    private static string OciPurl(string reference, Digest digest)
    {
        var name = reference.Split('@')[0];
        var lastColon = name.LastIndexOf(':');
        if (lastColon > name.LastIndexOf('/')) name = name[..lastColon];
        var last = name[(name.LastIndexOf('/') + 1)..];
        return $"pkg:oci/{last}@{digest.Algorithm}%3A{digest.Hex}?repository_url={Uri.EscapeDataString(name)}";
    }
}
