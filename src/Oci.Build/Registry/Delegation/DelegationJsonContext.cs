using System.Text.Json.Serialization;

namespace Oci.Build.Registry.Delegation;

/// <summary>Source-generated metadata of the delegation cache's entries: no reflection.</summary>
[JsonSerializable(typeof(DelegationResolver.CacheEntry))]
internal sealed partial class DelegationJsonContext : JsonSerializerContext;
