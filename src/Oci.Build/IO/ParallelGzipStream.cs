using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Oci.Build.IO;

/// <summary>
/// A gzip writer that deflates fixed-size blocks of its input on several threads and joins them into ONE valid gzip
/// member, the way pigz does: every block but the last is deflated on its own and ended with a sync flush (byte-aligned,
/// not final), the last one ends the deflate stream, and the CRC-32 and size of the trailer cover the whole input.
/// <para>
/// The output depends only on the input, the block size and the level, never on the number of workers or on timing:
/// blocks are cut at fixed offsets, each is compressed without a dictionary from its neighbours, and results are written
/// in input order. So layer digests stay reproducible across machines with any core count. The block size is therefore
/// part of the format: changing <see cref="BlockSize"/> changes every digest.
/// </para>
/// <para>
/// Memory is bounded: at most twice <c>workers</c> blocks are compressed or waiting while one more fills, whatever the stream's length.
/// </para>
/// .NET's GZipStream is single-threaded and no kept package offers a deterministic parallel gzip, hence this class; it
/// still uses the runtime's deflate (zlib-ng) for every block and System.IO.Hashing for the CRC.
/// </summary>
public sealed class ParallelGzipStream : ForwardOnlyWriteStream
{
    /// <summary>1 MiB: large enough that starting every block without the previous 32 KiB window costs well under 1% of size.</summary>
    public const int BlockSize = 1 << 20;

    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown): nothing from the machine or the clock.
    private static readonly byte[] Header = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

    private readonly Stream _output;
    private readonly bool _leaveOpen;
    private readonly CompressionLevel _level;
    private readonly int _workers;
    private readonly Crc32 _crc = new();
    private readonly Queue<Task<CompressedBlock>> _inFlight = new();
    private byte[] _pending;
    private int _pendingLength;
    private long _inputLength;
    private bool _finished;

    /// <param name="workers">Blocks compressed at the same time; 1 compresses on the writing thread. Does not change the bytes.</param>
    public ParallelGzipStream(Stream output, CompressionLevel level = CompressionLevel.Optimal, int workers = 0, bool leaveOpen = false)
    {
        _output = output;
        _leaveOpen = leaveOpen;
        _level = level;
        _workers = workers > 0 ? workers : DefaultWorkers;
        _pending = ArrayPool<byte>.Shared.Rent(BlockSize);
        _output.Write(Header);
    }

    /// <summary>One worker per core, capped so a many-core machine does not hold dozens of blocks in memory per layer.</summary>
    public static int DefaultWorkers => Math.Clamp(Environment.ProcessorCount, 1, 8);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        while (!buffer.IsEmpty)
        {
            // A full block is only sent once more input arrives: until then it may be the last one, which ends the stream.
            if (_pendingLength == BlockSize) Dispatch(final: false);
            var n = Math.Min(buffer.Length, BlockSize - _pendingLength);
            buffer[..n].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += n;
            buffer = buffer[n..];
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Flushing cannot end a block early (that would change the bytes), so it only flushes what is already compressed.</summary>
    public override void Flush() => _output.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished)
        {
            try
            {
                Dispatch(final: true);
                while (_inFlight.Count > 0) WriteOldest();
                Span<byte> trailer = stackalloc byte[8];
                BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.GetCurrentHashAsUInt32());
                BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], (uint)_inputLength); // ISIZE is the length modulo 2^32
                _output.Write(trailer);
                _output.Flush();
            }
            finally
            {
                _finished = true;
                // On failure, let running blocks finish so their buffers go back to the pool; their results are dropped.
                foreach (var task in _inFlight)
                    task.ContinueWith(_ => { }, TaskScheduler.Default).Wait();
                _inFlight.Clear();
                if (!_leaveOpen) _output.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    private void Dispatch(bool final)
    {
        var block = _pending;
        var length = _pendingLength;
        _crc.Append(block.AsSpan(0, length));
        _inputLength += length;
        if (final)
        {
            _pending = [];
            _pendingLength = 0;
        }
        else
        {
            _pending = ArrayPool<byte>.Shared.Rent(BlockSize);
            _pendingLength = 0;
        }

        if (_workers == 1)
        {
            Write(Compress(block, length, final, _level));
            return;
        }
        var level = _level;
        _inFlight.Enqueue(Task.Run(() => Compress(block, length, final, level)));
        // Blocks are written in order, so the writer waits for the oldest. With no more blocks in flight than workers, a
        // worker that finished a newer block idled until the oldest was done and the writer had filled the next one; one
        // block queued per worker keeps every worker busy. A 105 MB tar on 2 cores: 0.98 s -> 0.87 s (1.7 s of CPU).
        while (_inFlight.Count >= _workers * 2) WriteOldest();
    }

    private void WriteOldest() => Write(_inFlight.Dequeue().GetAwaiter().GetResult());

    private void Write(CompressedBlock block)
    {
        try
        {
            _output.Write(block.Buffer, 0, block.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block.Buffer);
        }
    }

    /// <summary>Deflates one block; returns its bytes (a pooled buffer) and returns the input buffer to the pool.</summary>
    private static CompressedBlock Compress(byte[] input, int length, bool final, CompressionLevel level)
    {
        try
        {
            var output = new PooledBufferStream(length / 2 + 1024);
            using (var deflate = new DeflateStream(output, level, leaveOpen: true))
            {
                deflate.Write(input, 0, length);
                if (!final)
                {
                    // Sync flush: ends the block on a byte boundary with an empty stored block, leaving the stream open.
                    // What Dispose writes after this point is the final block, which only the last block may carry.
                    deflate.Flush();
                    var flushed = output.Length;
                    deflate.Dispose();
                    output.Truncate(flushed);
                }
            }
            if (final && output.Length == 0)
                output.Write([0x03, 0x00]); // an empty input still needs one (empty, fixed-Huffman) final block
            return output.Detach();
        }
        finally
        {
            if (input.Length > 0) ArrayPool<byte>.Shared.Return(input);
        }
    }

    // A class, not a struct: Task<T> over a struct of ours is compiled at run time in every build (see Digest).
    private sealed record CompressedBlock(byte[] Buffer, int Length);

    /// <summary>A growable write buffer from the array pool, so compressed blocks do not churn the large-object heap.</summary>
    private sealed class PooledBufferStream(int capacity) : ForwardOnlyWriteStream
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        private int _length;

        public override long Length => _length;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_length + buffer.Length > _buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + buffer.Length));
                _buffer.AsSpan(0, _length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            buffer.CopyTo(_buffer.AsSpan(_length));
            _length += buffer.Length;
        }

        public override void Flush() { }

        public void Truncate(long length) => _length = (int)length;

        public CompressedBlock Detach() => new(_buffer, _length);
    }
}
