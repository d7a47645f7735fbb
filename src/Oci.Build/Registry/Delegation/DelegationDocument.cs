using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Registry.Delegation;

/// <summary>One delegation: names under <see cref="Prefix"/> live at <see cref="Location"/> (a prefix swap, nothing else).</summary>
public sealed record DelegationEntry(string Prefix, string Location, bool Push)
{
    /// <summary>Characters of <paramref name="name"/> (<c>host/path</c>, no tag) matched, or -1; the prefix must end at a path boundary.</summary>
    public int MatchLength(string name) =>
        name == Prefix || (name.StartsWith(Prefix, StringComparison.Ordinal) && name[Prefix.Length] == '/') ? Prefix.Length : -1;

    public string Rewrite(string name) => Location + name[Prefix.Length..];
}

/// <summary>
/// <c>https://DOMAIN/.well-known/oci-delegation.json</c>:
/// <c>{"delegations":[{"prefix":"contoso.com/team","location":"registry.example.net/contoso-team","push":true}]}</c>.
/// A domain speaks only for its own names: entries whose prefix is not under the domain are refused. Unknown fields are
/// ignored so the format can grow.
/// </summary>
public sealed class DelegationDocument
{
    public const int MaxSize = 64 * 1024;
    public const int MaxEntries = 256;

    private DelegationDocument(string domain, IReadOnlyList<DelegationEntry> entries)
    {
        Domain = domain;
        Entries = entries;
    }

    public string Domain { get; }

    public IReadOnlyList<DelegationEntry> Entries { get; }

    /// <summary>The longest matching entry for <paramref name="name"/>; for a push, only entries with <c>push: true</c> count.</summary>
    public DelegationEntry? Match(string name, bool forPush) =>
        Entries.Where(e => !forPush || e.Push).Select(e => (Entry: e, Length: e.MatchLength(name)))
            .Where(m => m.Length >= 0).OrderByDescending(m => m.Length).Select(m => m.Entry).FirstOrDefault();

    public static DelegationDocument Parse(ReadOnlySpan<byte> json, string domain)
    {
        string Where() => $"The delegation document of {domain}";
        // JsonElement.GetString throws InvalidOperationException for a string that is not valid UTF-8 (found by fuzzing:
        // eng/fuzz.sh delegation; the inputs are kept in tests/Oci.Build.Fuzz/findings/delegation).
        string? Text(JsonElement element)
        {
            try
            {
                return element.GetString();
            }
            catch (InvalidOperationException)
            {
                throw Invalid($"{Where()} holds a string that is not valid UTF-8.");
            }
        }
        if (json.Length > MaxSize) throw Invalid($"{Where()} is larger than {MaxSize} bytes.");
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw Invalid($"{Where()} is not valid JSON (line {ex.LineNumber + 1}).");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("delegations", out var list) || list.ValueKind != JsonValueKind.Array)
                throw Invalid($"{Where()} must be an object with a \"delegations\" array.");
            if (list.GetArrayLength() > MaxEntries) throw Invalid($"{Where()} has more than {MaxEntries} entries.");
            var entries = new List<DelegationEntry>();
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) throw Invalid($"{Where()}: every delegation must be an object.");
                var prefix = item.TryGetProperty("prefix", out var p) && p.ValueKind == JsonValueKind.String ? Text(p)!.TrimEnd('/') : null;
                var location = item.TryGetProperty("location", out var l) && l.ValueKind == JsonValueKind.String ? Text(l)!.TrimEnd('/') : null;
                if (string.IsNullOrEmpty(prefix) || string.IsNullOrEmpty(location))
                    throw Invalid($"{Where()}: every delegation needs a \"prefix\" and a \"location\".");
                var push = !item.TryGetProperty("push", out var pushValue) || pushValue.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw Invalid($"{Where()}: \"push\" of '{prefix}' must be true or false."),
                };
                if (!(prefix == domain || prefix.StartsWith(domain + "/", StringComparison.Ordinal)))
                    throw Invalid($"{Where()} delegates '{prefix}', which is not a name under {domain}; a domain may delegate only its own names.");
                if (location.Contains("://", StringComparison.Ordinal) || !ImageReference.TryParse(location + "/x", out var parsed, out _) || parsed!.Registry == ImageReference.DockerHub && !location.StartsWith("docker.io/", StringComparison.Ordinal))
                    throw Invalid($"{Where()}: location '{location}' must be registry-host/path (no scheme).");
                entries.Add(new DelegationEntry(prefix, location, push));
            }
            return new DelegationDocument(domain, entries);
        }
    }

    private static OciException Invalid(string message) => new(ErrorCodes.RegistryConfigInvalid, message);
}
