using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>Base images from an OCI archive: <c>oci-archive:FILE[:TAG]</c>, extracted into a scratch directory first.</summary>
public sealed class ArchiveBaseImageProvider(string baseDirectory, string scratchDirectory) : IBaseImageProvider
{
    public bool Handles(string spec) => spec.StartsWith("oci-archive:", StringComparison.Ordinal);

    public BaseImage Resolve(string spec, Platform platform)
    {
        var (path, tag) = BaseImageResolver.SplitPathAndTag(spec["oci-archive:".Length..]);
        if (path.Length == 0)
            throw new OciException(ErrorCodes.InvalidBaseImage, $"'{spec}' names no file: use oci-archive:FILE[:TAG].");
        var scratch = new ScratchDirectory(Path.Combine(scratchDirectory, "base-" + Guid.NewGuid().ToString("N")));
        try
        {
            var layout = OciArchive.Extract(Path.Combine(baseDirectory, path), scratch.Path);
            return LayoutBaseImageProvider.FromLayout(layout, tag, platform, owner: scratch);
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    private sealed class ScratchDirectory(string path) : IDisposable
    {
        public string Path { get; } = path;

        public void Dispose()
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
    }
}
