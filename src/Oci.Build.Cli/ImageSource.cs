using Oci.Build.Images;
using Oci.Build.Layout;

namespace Oci.Build.Cli;

/// <summary>
/// Opens what a command names: <c>oci:DIR[:TAG]</c>, <c>oci-archive:FILE[:TAG]</c> (extracted to a temporary folder,
/// checked as hostile input), or a plain layout directory.
/// </summary>
public sealed class ImageSource : IDisposable
{
    private readonly string? _scratch;

    private ImageSource(OciLayout layout, string? tag, string? scratch)
    {
        Layout = layout;
        Tag = tag;
        _scratch = scratch;
    }

    public OciLayout Layout { get; }

    public string? Tag { get; }

    public static ImageSource Open(string spec)
    {
        if (spec.StartsWith("oci-archive:", StringComparison.Ordinal))
        {
            var (file, tag) = BaseImageResolver.SplitPathAndTag(spec["oci-archive:".Length..]);
            var scratch = Path.Combine(Path.GetTempPath(), "dotnet-oci-" + Guid.NewGuid().ToString("N"));
            try
            {
                return new ImageSource(OciArchive.Extract(file, scratch), tag, scratch);
            }
            catch
            {
                if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
                throw;
            }
        }
        if (spec.StartsWith("oci:", StringComparison.Ordinal))
        {
            var (directory, tag) = BaseImageResolver.SplitPathAndTag(spec["oci:".Length..]);
            return new ImageSource(OciLayout.Open(directory), tag, null);
        }
        return new ImageSource(OciLayout.Open(spec), null, null);
    }

    public void Dispose()
    {
        if (_scratch is not null && Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true);
    }
}
