namespace Oci.Build.Layers;

/// <summary>What a published file is, decided from MSBuild's <c>ResolvedFileToPublish</c> metadata.</summary>
public enum PublishedFileKind
{
    /// <summary>A file of the .NET runtime itself (self-contained publish): changes when the runtime is patched.</summary>
    Runtime,
    /// <summary>A file from a NuGet package: changes when a package reference changes.</summary>
    Package,
    /// <summary>Output of another project of the solution.</summary>
    ProjectReference,
    /// <summary>
    /// Files the project copies as they are (Content and None items with CopyToPublishDirectory, static web assets):
    /// they change when someone edits them, not on every build as compiled code does (Jib's "resources").
    /// </summary>
    Resource,
    /// <summary>The app's own files: change on every build.</summary>
    App,
}

/// <summary>A file in the publish folder and what it is.</summary>
public sealed record PublishedFile(string RelativePath, PublishedFileKind Kind)
{
    /// <summary>
    /// Classifies a <c>ResolvedFileToPublish</c> item from its metadata: runtime pack files carry the runtime pack's id in
    /// <c>NuGetPackageId</c>; package files carry their package id; project outputs carry <c>ReferenceSourceTarget</c> or
    /// <c>MSBuildSourceProjectFile</c>; files the project copies as they are (<paramref name="copiedAsIs"/>: an item with a
    /// <c>TargetPath</c> that is not the build's key output) are resources; the rest is the app.
    /// </summary>
    public static PublishedFileKind Classify(string? nuGetPackageId, string? referenceSourceTarget, string? msbuildSourceProjectFile,
        ISet<string> runtimePackIds, bool copiedAsIs = false)
    {
        if (!string.IsNullOrEmpty(nuGetPackageId))
        {
            return runtimePackIds.Contains(nuGetPackageId) || LooksLikeRuntimePack(nuGetPackageId)
                ? PublishedFileKind.Runtime
                : PublishedFileKind.Package;
        }
        if (string.Equals(referenceSourceTarget, "ProjectReference", StringComparison.OrdinalIgnoreCase) || !string.IsNullOrEmpty(msbuildSourceProjectFile))
            return PublishedFileKind.ProjectReference;
        return copiedAsIs ? PublishedFileKind.Resource : PublishedFileKind.App;
    }

    // Runtime packs are named <Framework>.Runtime.<rid> (Microsoft.NETCore.App.Runtime.linux-x64, Microsoft.AspNetCore.App.Runtime.linux-x64);
    // used when the build did not pass the resolved runtime pack list.
    private static bool LooksLikeRuntimePack(string packageId) =>
        packageId.StartsWith("Microsoft.", StringComparison.OrdinalIgnoreCase) && packageId.Contains(".App.Runtime.", StringComparison.OrdinalIgnoreCase);
}
