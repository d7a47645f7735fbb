namespace Oci.Build.Tests.Integration;

/// <summary>
/// Tests that run `dotnet publish` share this collection so they run one at a time: each publish uses both cores,
/// and they build the same task project from source.
/// </summary>
[CollectionDefinition("Publish")]
public sealed class PublishCollection;
