using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Registry.Transfer;

/// <summary>
/// Opens <see cref="ImageLocation"/>s as sources and sinks, with one registry session for all of them (names resolved
/// through registries.conf, hosts.toml and delegation as for builds; credentials from the usual places).
/// </summary>
public sealed class RegistryImages(RegistrySettings settings, IBuildLog log, string? pushHost, string? pullHost) : IDisposable
{
    private readonly RegistryContext _context = settings.CreateContext(pushHost, pullHost);
    private RegistryResolver? _resolver;

    private RegistryResolver Resolver => _resolver ??= settings.CreateResolver(log);

    public IImageSource OpenSource(ImageLocation location) => location.Transport switch
    {
        ImageTransport.Layout => new LayoutSource(OciLayout.Open(location.Path)),
        ImageTransport.Archive => ArchiveSource.Open(location.Path),
        _ => OpenRegistrySource(location.Image!),
    };

    /// <param name="mountFrom">A source on the same registry whose repository blobs may be mounted from.</param>
    /// <param name="placements">Shared by the sinks of images copied at the same time to one registry (see <see cref="BlobPlacements"/>).</param>
    public IImageSink OpenSink(ImageLocation location, ImageLocation? mountFrom = null, UploadOptions? upload = null, BlobPlacements? placements = null)
    {
        switch (location.Transport)
        {
            case ImageTransport.Layout:
                return new LayoutSink(location.Path, keepExisting: true);
            case ImageTransport.Archive:
                return new ArchiveSink(location.Path);
            default:
                var target = Resolver.ResolvePush(location.Image!).Primary;
                var mounts = new List<string>();
                if (mountFrom?.Image is { } from && Resolver.ResolvePull(from).Primary is var source
                    && string.Equals(source.Endpoint.Host, target.Endpoint.Host, StringComparison.OrdinalIgnoreCase))
                    mounts.Add(source.Repository);
                return new RegistrySink(_context.ClientFor(target.Endpoint), target.Repository, mounts, log, upload, placements);
        }
    }

    private RegistrySource OpenRegistrySource(ImageReference reference)
    {
        var primary = Resolver.ResolvePull(reference).Primary;
        return new RegistrySource(_context.ClientFor(primary.Endpoint), primary.Repository);
    }

    public void Dispose() => _context.Dispose();
}
