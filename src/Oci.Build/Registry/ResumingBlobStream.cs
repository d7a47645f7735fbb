using System.Net;
using Oci.Build.IO;
using Oci.Build.Oci;
using Oci.Build.Registry.Transport;

namespace Oci.Build.Registry;

/// <summary>
/// The body of a blob download that survives the network: when the body resets, stalls (no byte for the idle timeout)
/// or ends before the descriptor's size, the blob is requested again from where it stopped (<c>Range: bytes=N-</c>)
/// and reading continues. A registry that ignores Range answers 200: the bytes already read are skipped. After
/// <see cref="RetryPolicy.MaxAttempts"/> failures in a row without a new byte, the read fails with a coded error that
/// says what happened (truncated or stalled) rather than "unreachable". Digest and size are checked by the
/// <see cref="VerifyingReadStream"/> around this stream.
/// </summary>
internal sealed class ResumingBlobStream : ForwardOnlyReadStream
{
    /// <summary>Resumes in all, however much progress each made: bounds a server that sends one byte per connection.</summary>
    private const int MaxResumes = 64;

    private readonly Func<long, CancellationToken, Task<HttpResponseMessage>> _request;
    private readonly long _size;
    private readonly string _what;
    private readonly RegistryTransportOptions _options;
    private HttpResponseMessage _response;
    private Stream _body;
    private long _position;
    private int _failuresInARow;
    private int _resumes;

    private ResumingBlobStream(HttpResponseMessage response, Stream body, Func<long, CancellationToken, Task<HttpResponseMessage>> request, long size, string what,
        RegistryTransportOptions options)
    {
        _response = response;
        _body = body;
        _request = request;
        _size = size;
        _what = what;
        _options = options;
    }

    /// <summary>
    /// Wraps the body of a successful first response. <paramref name="request"/> sends the request again with a Range
    /// header from the given offset (through the connection, so with retries and authentication).
    /// </summary>
    public static async Task<ResumingBlobStream> OpenAsync(HttpResponseMessage first, Func<long, CancellationToken, Task<HttpResponseMessage>> request, long size,
        string what, RegistryTransportOptions options, CancellationToken cancellationToken)
    {
        var body = await first.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return new ResumingBlobStream(first, body, request, size, what, options);
    }

    /// <summary>How many times the download was resumed (for the log and the tests).</summary>
    public int Resumes => _resumes;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var rented = new byte[buffer.Length];
        var n = ReadAsync(rented, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        rented.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            int read;
            try
            {
                read = await BodyReader.ReadIdleAsync(_body, buffer, _options.BodyIdleTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (RegistryConnection.IsTransient(ex, cancellationToken))
            {
                await ResumeAsync(ex, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (read == 0 && _position < _size)
            {
                await ResumeAsync(null, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (read > 0) _failuresInARow = 0;
            _position += read;
            return read;
        }
    }

    private async Task ResumeAsync(Exception? cause, CancellationToken cancellationToken)
    {
        _failuresInARow++;
        _resumes++;
        if (_failuresInARow >= _options.Retry.MaxAttempts || _resumes > MaxResumes) throw Failed(cause);
        Release();
        await Task.Delay(_options.Retry.Delay(_failuresInARow), cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response;
        try
        {
            response = await _request(_position, cancellationToken).ConfigureAwait(false);
        }
        catch (OciException ex) when (ex.Code == ErrorCodes.RegistryUnreachable)
        {
            throw Failed(ex);
        }
        _response = response;
        _body = Stream.Null;
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            var range = response.Content.Headers.ContentRange;
            if (range?.From != _position)
                throw new OciException(ErrorCodes.RegistryProtocolError,
                    $"{_what}: asked to resume at byte {_position}, the registry answered with the range '{range}'. Nothing was used.");
            _body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        if (response.StatusCode != HttpStatusCode.OK)
            throw new OciException(ErrorCodes.RegistryProtocolError,
                $"{_what}: resuming the download at byte {_position} was answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        // No Range support: read the whole body again and drop what we already have (bounded by _position).
        _body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var skip = new byte[64 * 1024];
        for (var skipped = 0L; skipped < _position;)
        {
            var n = await BodyReader.ReadIdleAsync(_body, skip.AsMemory(0, (int)Math.Min(skip.Length, _position - skipped)), _options.BodyIdleTimeout, cancellationToken)
                .ConfigureAwait(false);
            if (n == 0) break; // shorter than before: the next read sees the end and resumes or fails
            skipped += n;
        }
    }

    private OciException Failed(Exception? cause)
    {
        var progress = $"after {_position} of {_size} bytes and {_resumes - 1} resumed attempt(s)";
        if ((cause as BodyStalledException ?? cause?.InnerException as BodyStalledException) is { } stalled)
            return new OciException(ErrorCodes.RegistryBodyStalled,
                $"{_what} stalled {progress}: the registry sent nothing for {stalled.IdleTimeout.TotalSeconds:0.#} s each time. " +
                "Try again later; a proxy in between may be holding the connection.", cause);
        var how = cause is null ? "ended early" : $"broke off ({cause.Message})";
        return new OciException(ErrorCodes.RegistryBodyTruncated,
            $"{_what} {how} {progress}. The registry or a proxy in between cuts downloads; try again (completed blobs stay cached).", cause);
    }

    private void Release()
    {
        _body.Dispose();
        _response.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Release();
        base.Dispose(disposing);
    }
}
