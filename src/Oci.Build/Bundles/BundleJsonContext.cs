using System.Text.Json.Serialization;

namespace Oci.Build.Bundles;

/// <summary>
/// Source-generated metadata of bundle.json, the relocation mapping and the bundle's annotations: no reflection (dotnet-oci
/// is compiled to native code). Nulls are left out, as cnab-go leaves out empty fields.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CnabBundle))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyList<CnabMaintainer>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class BundleJsonContext : JsonSerializerContext;
