namespace Oci.Build.Tests.Integration;

/// <summary>
/// Tests that run `dotnet publish` of the samples are spread over four collections, each running its tests one at a
/// time, so that at most four publishes share the machine (xunit.runner.json: four threads). Every publish uses both
/// cores in its compile phases but waits on processes, registries and disk in between, so four streams finish the
/// suite much sooner than one without overloading it. The task assembly they all build from source is built once before
/// the first of them (<see cref="Infrastructure.SampleProject"/>), so concurrent publishes only read it.
/// </summary>
[CollectionDefinition("Publish")]
public sealed class PublishCollection;

/// <summary>
/// Publishes of the release sample (bundles, relocation, thick archives), and the comparisons with the .NET SDK's own
/// container support and the packed SDK package (moved here to even out the three streams): see <see cref="PublishCollection"/>.
/// </summary>
[CollectionDefinition("Release publishes")]
public sealed class ReleasePublishCollection;

/// <summary>
/// The documented commands (each page in its own copy of the repository), and PublishFailureTests: see
/// <see cref="PublishCollection"/>. The four streams are balanced by measured test time (the last timed run: Publish
/// about 950 s against about 470 s for each half of the docs), so a stream's name says what most of it runs, not all.
/// </summary>
[CollectionDefinition("Docs")]
public sealed class DocsCollection;

/// <summary>The other half of the documented pages (Docs/DocsCommandTests.SecondStreamPages), and BundleSettingsTests: see <see cref="DocsCollection"/>.</summary>
[CollectionDefinition("Docs, second stream")]
public sealed class DocsSecondStreamCollection;
