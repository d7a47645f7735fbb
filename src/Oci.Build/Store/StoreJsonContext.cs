using System.Text.Json.Serialization;
using Oci.Build.Oci;

namespace Oci.Build.Store;

/// <summary>Source-generated metadata of the store's entries (cached layers, ciphertexts): no reflection.</summary>
[JsonSerializable(typeof(CachedLayer))]
[JsonSerializable(typeof(Descriptor))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
