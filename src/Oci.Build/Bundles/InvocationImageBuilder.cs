using System.Reflection;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Bundles;

public sealed record InvocationImageRequest
{
    /// <summary>The team's own run script (ContainerBundleRunScript); null: the documented default that only reports.</summary>
    public string? RunScript { get; init; }
    /// <summary>The app's base image: the invocation image adds one small layer to it and never touches the app images.</summary>
    public string? BaseImage { get; init; }
    public required string BaseDirectory { get; init; }
    public required ImageSettings Settings { get; init; }
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;
    public required string LayoutPath { get; init; }
    public required string CacheDirectory { get; init; }
    /// <summary>Scratch folder (obj/) where the image's one folder, /cnab/app, is staged.</summary>
    public required string StagingDirectory { get; init; }
}

/// <summary>
/// The bundle's invocation image: the app's base plus <c>/cnab/app/run</c> (CNAB requires that entry point). Built with the
/// same publisher as app images, so it is layered, cached and reproducible the same way.
/// </summary>
public sealed class InvocationImageBuilder(IBuildLog log, IEnumerable<IBaseImageProvider>? providers = null)
{
    public const string AppDirectory = "/cnab/app";
    public const string RunPath = AppDirectory + "/run";
    private const string DefaultScriptResource = "Oci.Build.Bundles.cnab-run.sh";

    public ImageResult Build(InvocationImageRequest request)
    {
        var staging = Path.Combine(request.StagingDirectory, "app");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        var run = Path.Combine(staging, "run");
        File.WriteAllBytes(run, RunScript(request.RunScript));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(run, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
                                      UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var settings = request.Settings with { WorkingDirectory = AppDirectory, Entrypoint = [RunPath], Cmd = [] };
        return new ImagePublisher(log, providers).Publish(new ImagePublishRequest
        {
            PublishDirectory = staging,
            ClassifiedFiles = new Dictionary<string, PublishedFileKind>(),
            BaseImage = request.BaseImage,
            BaseDirectory = request.BaseDirectory,
            Settings = settings,
            Layering = LayeringMode.Single,
            Compression = request.Compression,
            LayoutPath = request.LayoutPath,
            CacheDirectory = request.CacheDirectory,
        });
    }

    /// <summary>The default script's text, as shipped (docs/bundles.md explains it).</summary>
    public static byte[] DefaultRunScript()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(DefaultScriptResource)
            ?? throw new InvalidOperationException($"The resource {DefaultScriptResource} is missing from the engine assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static byte[] RunScript(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return DefaultRunScript();
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0) throw new OciException(ErrorCodes.InvalidBundleSetting, $"ContainerBundleRunScript '{path}' is empty.");
            return bytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OciException(ErrorCodes.InvalidBundleSetting,
                $"ContainerBundleRunScript '{path}' cannot be read ({ex.Message}); it becomes /cnab/app/run of the invocation image.", ex);
        }
    }
}
