using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Cli;

/// <summary>
/// Opens what a command names: <c>oci:DIR[:TAG]</c>, <c>oci-archive:FILE[:TAG]</c> (read in place, as hostile input: an
/// OCI archive, a thick archive, or the first part or parts description of a split one), a plain layout directory, or a
/// plain archive file, as an <see cref="IImageSource"/> with the entries of its index.json.
/// </summary>
public sealed class ImageSource : IDisposable
{
    private readonly ImageLocation _location;
    private string? _scratch;

    private ImageSource(ImageLocation location, IImageSource source, ImageIndex index)
    {
        _location = location;
        Source = source;
        Index = index;
    }

    public IImageSource Source { get; }

    /// <summary>The index.json of the layout or archive.</summary>
    public ImageIndex Index { get; }

    public string? Tag => _location.Reference;

    /// <summary>Where it is, for messages.</summary>
    public string Path => System.IO.Path.GetFullPath(_location.Path);

    /// <summary>The entries the command works on: the tagged one, or all of them.</summary>
    public IReadOnlyList<Descriptor> Entries => Tag is null ? Index.Manifests : [OciLayout.FindEntry(Index, Tag, Source.Description)];

    public static ImageSource Open(string spec)
    {
        var location = ImageLocation.IsLocal(spec) ? ImageLocation.Parse(spec)
            : File.Exists(spec) ? new ImageLocation(ImageTransport.Archive, spec, null, null)
            : new ImageLocation(ImageTransport.Layout, spec, null, null);
        if (location.Transport == ImageTransport.Archive)
        {
            var archive = ArchiveSource.Open(location.Path);
            return new ImageSource(location, archive, archive.Index);
        }
        var layout = OciLayout.Open(location.Path);
        return new ImageSource(location, new LayoutSource(layout), layout.Index);
    }

    /// <summary>
    /// The images as a layout directory, for commands that rewrite one: an archive's images are copied (verified) into
    /// a temporary layout with the copy engine, whatever kind of archive it is.
    /// </summary>
    public OciLayout AsLayoutDirectory()
    {
        if (Source is LayoutSource layout) return layout.Layout;
        if (_scratch is null)
        {
            _scratch = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dotnet-oci-" + Guid.NewGuid().ToString("N"));
            var roots = Index.Manifests.GroupBy(m => m.Digest)
                .Select(g => new CopyRoot(g.First() with { Annotations = null }, g.Select(m => m.Annotation(AnnotationKeys.RefName)).OfType<string>().ToList()))
                .ToList();
            using var sink = new LayoutSink(_scratch);
            ImageCopier.CopyAsync(Source, sink, roots).GetAwaiter().GetResult();
        }
        return OciLayout.Open(_scratch);
    }

    public void Dispose()
    {
        Source.Dispose();
        if (_scratch is not null && Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true);
    }
}
