using System.Text.Json.Serialization;

namespace Oci.Build.Archives;

/// <summary>
/// Source-generated metadata of the archive's own files (index, delta record, parts description, relocation mapping): no
/// reflection (dotnet-oci is compiled to native code). Indented for people who open them, nulls left out.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ArchiveIndex))]
[JsonSerializable(typeof(DeltaRecord))]
[JsonSerializable(typeof(ArchivePartsDescription))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ArchiveJsonContext : JsonSerializerContext;
