using System.Text.Json;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>
/// An <see cref="ImageResult"/> (or <see cref="ImageIndexResult"/>) on its way between MSBuild tasks, which run as
/// separate invocations and share only files: written once by the step that built the image (updated by encryption),
/// read by the steps after it, so they need not reopen the layout and guess which layers are whose. Typed JSON with a
/// format version; anything else (missing, damaged, another version's) is <see cref="ErrorCodes.BuildResultUnreadable"/>.
/// </summary>
public static class BuildResultFile
{
    private const int Version = 1;

    public static void Write(string path, ImageResult result) => WriteFile(path, new ImageFile(Version, result));

    public static void Write(string path, ImageIndexResult result) => WriteFile(path, new IndexFile(Version, result));

    public static ImageResult ReadImage(string path) => Check(path, ReadFile<ImageFile>(path), f => f.Version, f => f.Image);

    public static ImageIndexResult ReadIndex(string path) => Check(path, ReadFile<IndexFile>(path), f => f.Version, f => f.Index);

    internal sealed record ImageFile(int Version, ImageResult Image);

    internal sealed record IndexFile(int Version, ImageIndexResult Index);

    private static readonly JsonSerializerOptions Json = OciJson.For(ImageJsonContext.Default);

    private static void WriteFile<T>(string path, T content)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(content, Json.TypeInfo<T>()));
        AtomicFile.ReplaceFile(temp, full);
    }

    private static T? ReadFile<T>(string path) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), Json.TypeInfo<T>());
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw Unreadable(path, ex.Message, ex);
        }
    }

    private static TResult Check<TFile, TResult>(string path, TFile? file, Func<TFile, int> version, Func<TFile, TResult?> result)
        where TFile : class where TResult : class
    {
        if (file is null) throw Unreadable(path, "it is empty", null);
        if (version(file) != Version) throw Unreadable(path, $"it is format {version(file)}, this version of Oci.Build reads {Version}", null);
        return result(file) ?? throw Unreadable(path, "it holds no result", null);
    }

    private static OciException Unreadable(string path, string why, Exception? inner) =>
        new(ErrorCodes.BuildResultUnreadable, $"The build result '{path}' cannot be read ({why}); publish again to write it.", inner);
}
