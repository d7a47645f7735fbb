using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Store;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

/// <summary>
/// A fresh runner (empty cache) whose previous image is still being read hashes its large layers meanwhile, instead of
/// waiting for the read and hashing after it; the pass stops as soon as the image turns out to hold nothing to ask.
/// </summary>
public class PreviousImageHashingTests : IDisposable
{
    private readonly TempDirectory _temp = new("prevhash");

    public void Dispose() => _temp.Dispose();

    private LayerSpec Runtime()
    {
        var file = _temp.Combine("publish", "libcoreclr.so");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var data = new byte[8 << 20];
        new Random(7).NextBytes(data.AsSpan(0, 1 << 20));   // some incompressible bytes, the rest zeros
        File.WriteAllBytes(file, data);
        return new LayerSpec("runtime", [LayerEntry.FromFile("app/libcoreclr.so", file)]);
    }

    private LayerBuilder Builder(string cache, IPreviousLayers? previous) =>
        new(new ContentStore(_temp.Combine(cache)), LayerCompression.Gzip, new TarSettings(0), previous);

    [Fact]
    public void A_fresh_runner_hashes_a_large_layer_while_the_previous_image_is_read_then_asks_it_for_that_tar()
    {
        var previous = new PreviousStillReading(readAtPoll: 4, holdsLayers: true);

        var layer = Builder("cache", previous).Build(Runtime());

        Assert.False(previous.AskedBeforeRead);   // nothing waited for the read before the tar pass
        Assert.True(previous.Polls >= 4);          // the pass asked along the way whether the read was done
        Assert.Equal([layer.DiffId], previous.AskedFor);
        Assert.Equal(LayerOrigin.Built, layer.Origin);   // the previous image did not have it: compressed here
        Assert.Equal(Builder("alone", null).Build(Runtime()).Descriptor, layer.Descriptor);
    }

    [Fact]
    public void The_tar_pass_begun_while_reading_stops_once_the_previous_image_holds_nothing_to_ask()
    {
        // Poll 1: the builder's first look (not read yet); poll 2: the pass's first write; poll 3: read, nothing there.
        var previous = new PreviousStillReading(readAtPoll: 3, holdsLayers: false);

        var layer = Builder("cache", previous).Build(Runtime());

        Assert.Equal(3, previous.Polls);           // stopped at the first write after the read, not at the end of 8 MiB
        Assert.Empty(previous.AskedFor);
        Assert.Equal(LayerOrigin.Built, layer.Origin);
        Assert.Equal(Builder("alone", null).Build(Runtime()).Descriptor, layer.Descriptor);
    }

    /// <summary>A previous image whose read completes on the Nth look at <see cref="IsRead"/>.</summary>
    private sealed class PreviousStillReading(int readAtPoll, bool holdsLayers) : IPreviousLayers
    {
        private bool _read;

        public int Polls { get; private set; }
        public bool AskedBeforeRead { get; private set; }
        public List<Digest> AskedFor { get; } = [];

        public string Description => "previous image still being read";

        public bool IsRead
        {
            get
            {
                if (++Polls >= readAtPoll) _read = true;
                return _read;
            }
        }

        public bool HasLayers(LayerCompression compression)
        {
            // The real one blocks until the read is done: a call before that is a builder waiting for it.
            if (!_read) AskedBeforeRead = true;
            _read = true;
            return holdsLayers;
        }

        public void StartReading() { }

        public void StartFetching(LayerCompression compression, long maximumTarSize, IReadOnlySet<Digest> except, ContentStore store) { }

        public CachedLayer? TryStore(Digest diffId, long uncompressedSize, LayerCompression compression, ContentStore store, CancellationToken cancellationToken)
        {
            AskedFor.Add(diffId);
            return null;
        }
    }
}
