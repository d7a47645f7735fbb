using Oci.Build.Oci;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Serialization;

namespace Oci.Build.Registry.Config;

/// <summary>Reads a TOML file into Tomlyn's table model with coded errors and typed accessors that name the file and key.</summary>
internal static class TomlDocument
{
    public static TomlTable Parse(string text, string source)
    {
        try
        {
            return TomlSerializer.Deserialize(text, TomlTableContext.Default.TomlTable) ?? new TomlTable();
        }
        catch (TomlException ex)
        {
            throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}' is not valid TOML: {ex.Message}");
        }
        catch (ArgumentOutOfRangeException)
        {
            // Tomlyn 2.10's lexer throws this (instead of a TomlException) while describing a string whose text ends
            // right after a backslash: it formats the end-of-file marker as a character (found by fuzzing:
            // eng/fuzz.sh registries-conf; the input is kept in tests/Oci.Build.Fuzz/findings/registries-conf).
            throw new OciException(ErrorCodes.RegistryConfigInvalid,
                $"'{source}' is not valid TOML: it ends in the middle of a string, right after a backslash.");
        }
    }

    public static string? String(TomlTable table, string key, string source)
    {
        if (!table.TryGetValue(key, out var value) || value is null) return null;
        return value as string ?? throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': '{key}' must be a string.");
    }

    public static bool? Bool(TomlTable table, string key, string source)
    {
        if (!table.TryGetValue(key, out var value) || value is null) return null;
        return value as bool? ?? throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': '{key}' must be true or false.");
    }

    /// <summary>A string or an array of strings (hosts.toml <c>ca</c> takes either).</summary>
    public static IReadOnlyList<string> Strings(TomlTable table, string key, string source)
    {
        if (!table.TryGetValue(key, out var value) || value is null) return [];
        return value switch
        {
            string single => [single],
            TomlArray array when array.All(v => v is string) => array.Cast<string>().ToList(),
            _ => throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': '{key}' must be a string or an array of strings."),
        };
    }

    public static IEnumerable<TomlTable> Tables(TomlTable table, string key, string source)
    {
        if (!table.TryGetValue(key, out var value) || value is null) return [];
        return value switch
        {
            TomlTableArray array => array,
            TomlTable single => [single],
            _ => throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': '{key}' must be a table or an array of tables."),
        };
    }
}

/// <summary>Tomlyn's source-generated reader of its own table model: no reflection (dotnet-oci is compiled to native code).</summary>
[TomlSerializable(typeof(TomlTable))]
internal sealed partial class TomlTableContext : TomlSerializerContext;
