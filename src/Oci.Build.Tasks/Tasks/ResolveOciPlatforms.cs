using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Oci.Build.Images;

namespace Oci.Build.Tasks;

/// <summary>
/// Multi-platform output, first step: the platform of each of <c>ContainerRuntimeIdentifiers</c>, checked before anything
/// is published (an unknown identifier, or two that are the same platform, fail here rather than after the first publish).
/// </summary>
public sealed class ResolveOciPlatforms : OciTask
{
    [Required] public string[] RuntimeIdentifiers { get; set; } = [];

    /// <summary>One item per runtime identifier (in the given order), metadata <c>Platform</c> (<c>linux/arm64/v8</c>).</summary>
    [Output] public ITaskItem[] Platforms { get; private set; } = [];

    protected override void Run()
    {
        Platforms = PlatformIndexBuilder.PlatformsOf(RuntimeIdentifiers)
            .Select(p =>
            {
                var item = new TaskItem(p.RuntimeIdentifier);
                item.SetMetadata("Platform", p.Platform.ToString());
                return (ITaskItem)item;
            })
            .ToArray();
    }
}
