using Microsoft.Build.Framework;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Tasks;

/// <summary>
/// Makes a base image from files of this machine (<c>Files</c>: host path + <c>TargetPath</c>) and empty directories
/// (<c>Directories</c>: image path + optional octal <c>Mode</c>). Symbolic links on the host are followed, so the image
/// holds real files. Used by the samples to build offline, and by sites that have no registry to pull a base from.
/// </summary>
public sealed class BuildOciBaseImage : OciTask
{
    [Required] public ITaskItem[] Files { get; set; } = [];
    [Required] public string LayoutPath { get; set; } = "";
    [Required] public string RuntimeIdentifier { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    public ITaskItem[] Directories { get; set; } = [];
    public ITaskItem[] EnvironmentVariables { get; set; } = [];
    public string Repository { get; set; } = "base";
    public string Tag { get; set; } = "latest";
    public string? SourceDateEpoch { get; set; }
    public string? Created { get; set; }

    [Output] public string? ManifestDigest { get; private set; }

    protected override void Run()
    {
        var entries = new List<LayerEntry>();
        foreach (var file in Files)
        {
            var source = Path.GetFullPath(file.ItemSpec);
            if (!File.Exists(source))
                throw new OciException(ErrorCodes.InvalidSetting, $"Base image file '{source}' does not exist on this machine.");
            var real = File.ResolveLinkTarget(source, returnFinalTarget: true)?.FullName ?? source;
            var target = file.GetMetadata("TargetPath") is { Length: > 0 } t ? t : source;
            entries.Add(LayerEntry.FromFile(target, real));
        }
        foreach (var directory in Directories)
        {
            var mode = directory.GetMetadata("Mode") is { Length: > 0 } m ? Convert.ToInt32(m, 8) : (int?)null;
            entries.Add(new LayerEntry { Path = LayerEntry.NormalizePath(directory.ItemSpec), Kind = LayerEntryKind.Directory, Mode = mode });
        }

        var settings = new ImageSettings
        {
            Repository = Repository,
            Tags = [Tag],
            Platform = Platform.FromRuntimeIdentifier(RuntimeIdentifier),
            Created = TimestampSetting.Resolve(SourceDateEpoch, Created),
            Environment = EnvironmentVariables.Select(i => new KeyValuePair<string, string>(i.ItemSpec, i.GetMetadata("Value"))).ToList(),
        };
        var result = FilesystemImage.Build(entries, settings, LayoutPath, CacheDirectory);
        ManifestDigest = result.Manifest.Digest.ToString();
        ((IBuildLog)this).Info($"Base image {Repository}:{Tag} -> {ManifestDigest} ({ByteSize.Format(result.Layers.Sum(l => l.Descriptor.Size))}) in {result.LayoutPath}");
    }
}
