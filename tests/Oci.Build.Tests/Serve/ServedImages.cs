using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;
using FreePort = Oci.Build.Tests.Infrastructure.FreePort;

namespace Oci.Build.Tests.Serve;

/// <summary>
/// What the serve tests serve, built in-process (no publish): an OCI archive whose index names its image with a full
/// reference (<c>registry.example/samples/web:1.0</c>, a static busybox httpd that containerd can run), and a layout with
/// a tag-only name and a 1 MiB random layer, served as <c>tools/data</c> through NAME=LOCATION. The two share no blob.
/// </summary>
public sealed class ServedImages : IDisposable
{
    public ServedImages()
    {
        Temp = new TempDirectory("serve");
        WebPort = FreePort.Next();
        var page = Temp.Combine("index.html");
        File.WriteAllText(page, "Hello from a served image\n");
        var settings = TestImages.Settings("samples/web", "1.0") with
        {
            Entrypoint = ["/bin/busybox", "httpd", "-f", "-p", $"127.0.0.1:{WebPort}", "-h", "/www"],
        };
        var webLayout = Temp.Combine("web-layout");
        Web = TestImages.Files([LayerEntry.FromFile("bin/busybox", "/bin/busybox"), LayerEntry.FromFile("www/index.html", page)], settings, webLayout, Temp.Combine("cache"));
        Archive = Temp.Combine("release.tar");
        OciArchive.Write(webLayout, Archive, imageName: "registry.example/samples/web");

        DataLayout = Temp.Combine("data");
        Data = TestImages.Base(Temp.Path, DataLayout, Temp.Combine("cache"), 1 << 20);
        DataManifest = OciDocuments.ReadManifest(File.ReadAllBytes(OciLayout.Open(DataLayout).BlobPath(Data.Manifest.Digest)), "data manifest");
        WebManifest = OciDocuments.ReadManifest(File.ReadAllBytes(OciLayout.Open(webLayout).BlobPath(Web.Manifest.Digest)), "web manifest");
    }

    public TempDirectory Temp { get; }
    public int WebPort { get; }
    public ImageResult Web { get; }
    public ImageManifest WebManifest { get; }
    public string Archive { get; }
    public string DataLayout { get; }
    public ImageResult Data { get; }
    public ImageManifest DataManifest { get; }

    /// <summary>Every image served: (repository:tag, manifest digest).</summary>
    public IReadOnlyList<(string Reference, Digest Digest)> All => [("samples/web:1.0", Web.Manifest.Digest), ("tools/data:1", Data.Manifest.Digest)];

    /// <summary>The arguments of `dotnet oci serve` for these images.</summary>
    public string[] Locations => [$"oci-archive:{Archive}", $"tools/data={DataLayout}"];

    public void Dispose() => Temp.Dispose();
}
