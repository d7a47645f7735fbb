using Oci.Build.Images;
using Oci.Build.Oci;

namespace Oci.Build.Registry;

/// <summary>
/// The registry base image provider with its session, created lazily: a build from a local layout never reads
/// registries.conf or credential files. Disposing ends the session.
/// </summary>
public sealed class RegistryBaseImages(RegistrySettings settings, IBuildLog log, string? pushRegistry) : IDisposable
{
    private RegistryContext? _context;

    public IBaseImageProvider Provider => new LazyProvider(this);

    private BaseImage Resolve(string spec, Platform platform, CancellationToken cancellationToken)
    {
        var resolver = settings.CreateResolver(log);
        var reference = ImageReference.Parse(spec);
        var pullHost = resolver.ResolvePull(reference).Primary.Endpoint.Host;
        // The SDK's generic credential variables belong to the push registry; they reach the base's registry only when
        // it is that same registry (or when nothing is pushed).
        var pushHost = pushRegistry is null ? null : RegistryEndpoint.ApiHost(pushRegistry);
        _context ??= settings.CreateContext(pushHost, pullHost);
        return new RegistryBaseImageProvider(resolver, _context, settings.Cache, log).Resolve(spec, platform, cancellationToken);
    }

    public void Dispose() => _context?.Dispose();

    private sealed class LazyProvider(RegistryBaseImages owner) : IBaseImageProvider
    {
        public bool Handles(string spec) => RegistryBaseImageProvider.IsRegistryReference(spec);

        public BaseImage Resolve(string spec, Platform platform, CancellationToken cancellationToken) => owner.Resolve(spec, platform, cancellationToken);
    }
}
