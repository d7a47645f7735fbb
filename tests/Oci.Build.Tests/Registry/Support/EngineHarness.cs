using Oci.Build.Store;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Delegation;
using Oci.Build.Registry.Transfer;
using Oci.Build.Registry.Transport;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>
/// The engine as a task would set it up, but with an isolated environment: a private HOME (no docker config of the
/// machine), a private cache, and only the variables a test gives.
/// </summary>
public sealed class EngineHarness : IDisposable
{
    private readonly TempDirectory _root = new("engine");

    public EngineHarness()
    {
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(Cache);
    }

    public string Home => _root.Combine("home");
    public string Cache => _root.Combine("cache");
    public string Work => _root.Path;
    public string Combine(params string[] parts) => _root.Combine(parts);

    public Dictionary<string, string?> Environment { get; } = new();
    public CapturingLog Log { get; } = new();
    public string? RegistriesConfig { get; set; }
    public string? HostsDirectory { get; set; }
    public bool NameDelegation { get; set; } = false;
    public RegistryTransportOptions Transport { get; set; } = new() { Retry = RetryPolicy.Default with { InitialDelay = TimeSpan.FromMilliseconds(20) } };
    public DelegationOptions? Delegation { get; set; }
    /// <summary>Small thresholds, so blobs of a few hundred KiB go in chunks and count as large.</summary>
    public UploadOptions Upload { get; set; } = new() { MonolithicLimit = 256 * 1024, ChunkSize = 128 * 1024, ProgressThreshold = 256 * 1024 };

    public RegistrySettings Settings => new()
    {
        CacheDirectory = Cache,
        RegistriesConfig = RegistriesConfig ?? EmptyRegistriesConf(),
        HostsDirectory = HostsDirectory,
        NameDelegation = NameDelegation,
        Environment = name => name == "HOME" ? Home : Environment.GetValueOrDefault(name),
        Transport = Transport,
        Delegation = Delegation,
    };

    /// <summary>Sets the SDK's generic credential variables.</summary>
    public EngineHarness As(string user)
    {
        Environment["DOTNET_CONTAINER_REGISTRY_UNAME"] = user;
        Environment["DOTNET_CONTAINER_REGISTRY_PWORD"] = RegistryServer.Users[user];
        return this;
    }

    public LayoutPushResult Push(string layout, string registry, string repository, params string[] tags) =>
        new LayoutPusher(Settings, Log).Push(new LayoutPushRequest
        {
            LayoutPath = layout,
            Registry = registry,
            Repository = repository,
            Tags = tags,
            Options = new PushOptions { Upload = Upload },
        });

    public BaseImage Pull(string spec, string? pushRegistry = null, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        var images = new RegistryBaseImages(Settings, Log, pushRegistry);
        _disposables.Add(images);
        return new BaseImageResolver([images.Provider]).Resolve(spec, platform ?? TestImages.Linux, cancellationToken);
    }

    private readonly List<IDisposable> _disposables = [];

    private string EmptyRegistriesConf()
    {
        var path = _root.Combine("empty-registries.conf");
        if (!File.Exists(path)) File.WriteAllText(path, "# no rules\n");
        return path;
    }

    public ContentStore ContentStore => new(Cache);

    public void Dispose()
    {
        foreach (var disposable in _disposables) disposable.Dispose();
        _root.Dispose();
    }
}
