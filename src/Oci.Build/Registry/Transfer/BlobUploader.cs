using System.Net;
using System.Net.Http.Headers;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transport;

namespace Oci.Build.Registry.Transfer;

/// <summary>Upload tuning. Small blobs go in one PUT; large ones in PATCH chunks that resume where the registry says.</summary>
public sealed record UploadOptions
{
    /// <summary>Blobs up to this size are uploaded in one request.</summary>
    public long MonolithicLimit { get; init; } = 32L << 20;
    public long ChunkSize { get; init; } = 16L << 20;
    /// <summary>Blobs from this size log progress lines.</summary>
    public long ProgressThreshold { get; init; } = 16L << 20;
    /// <summary>At most one progress line per blob this often (tests shorten it to see the lines without a slow push).</summary>
    public TimeSpan ProgressInterval { get; init; } = TransferProgress.Interval;
}

/// <summary>
/// Puts one blob into one repository, in the order that avoids sending bytes: HEAD, then a cross-repository mount when
/// a source is given, then an upload (monolithic, or chunked with resume from the registry's <c>Range</c>). Transient
/// failures are retried; an upload never restarts from zero when the registry kept what it received.
/// </summary>
public sealed class BlobUploader(RegistryClient client, UploadOptions options, IBuildLog log)
{
    private RetryPolicy Retry => client.Connection.Transport.Options.Retry;

    /// <param name="content">Asked once, only when the bytes must be sent (the registry has no such blob and no mount
    /// gave it): gives an opener of the blob's content as a seekable stream (a layout file, a spooled download).</param>
    /// <param name="chooseMountSource">Picks a repository on the same registry to mount from (or null); asked after the HEAD,
    /// when the token for the push (and what it grants) is known.</param>
    /// <param name="answered">Called once the first request (the HEAD) is answered, or failed: the token for the scopes is then known.</param>
    public async Task<BlobPushResult> PushAsync(string repository, Descriptor blob, Func<CancellationToken, Task<Func<Stream>>> content, Func<string?> chooseMountSource,
        IReadOnlyList<RegistryScope> scopes, CancellationToken cancellationToken, Action? answered = null)
    {
        bool exists;
        try
        {
            exists = await client.BlobExistsAsync(repository, blob.Digest, scopes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            answered?.Invoke();
        }
        if (exists)
        {
            log.Detail($"  {TransferProgress.Short(blob.Digest)} already in {repository}");
            return new BlobPushResult(blob, BlobOutcome.Existed, 0);
        }

        Uri? session = null;
        var mountFrom = chooseMountSource();
        if (mountFrom is not null)
        {
            var (mounted, location) = await TryMountAsync(repository, blob.Digest, mountFrom, scopes, cancellationToken).ConfigureAwait(false);
            if (mounted)
            {
                log.Detail($"  {TransferProgress.Short(blob.Digest)} mounted from {mountFrom}");
                return new BlobPushResult(blob, BlobOutcome.Mounted, 0, mountFrom);
            }
            session = location; // 202: the registry declined the mount and opened a normal upload instead
        }

        var open = await content(cancellationToken).ConfigureAwait(false);
        long sent = 0;
        var progress = blob.Size >= options.ProgressThreshold ? new TransferProgress(log, "pushing", blob.Digest, blob.Size, options.ProgressInterval) : null;
        void Count(long n)
        {
            Interlocked.Add(ref sent, n);
            progress?.Advance(n);
        }

        for (var attempt = 1; ; attempt++)
        {
            session ??= await StartUploadAsync(repository, scopes, cancellationToken).ConfigureAwait(false);
            try
            {
                if (blob.Size <= options.MonolithicLimit)
                    await PutMonolithicAsync(session, blob, open, scopes, Count, cancellationToken).ConfigureAwait(false);
                else
                    await PutChunkedAsync(session, repository, blob, open, scopes, Count, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (UploadSessionLost) when (attempt < Retry.MaxAttempts)
            {
                // A finishing PUT whose answer was lost may have completed the upload (a retry of it then finds the
                // session closed): if the repository has the blob now, it is pushed.
                if (await client.BlobExistsAsync(repository, blob.Digest, scopes, cancellationToken).ConfigureAwait(false)) break;
                // The session is gone (expired, or the monolithic request failed midway): start a new one.
                session = null;
                await Task.Delay(Retry.Delay(attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (UploadSessionLost lost)
            {
                throw new OciException(ErrorCodes.RegistryPushRejected,
                    $"Uploading {blob.Digest} to {client.Endpoint.Host}/{repository} failed {attempt} times; last: {lost.Message}");
            }
        }
        progress?.Finish(sent);
        log.Detail($"  {TransferProgress.Short(blob.Digest)} uploaded to {repository} ({sent} bytes)");
        return new BlobPushResult(blob, BlobOutcome.Uploaded, sent);
    }

    private async Task<(bool Mounted, Uri? Session)> TryMountAsync(string repository, Digest digest, string from, IReadOnlyList<RegistryScope> scopes,
        CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.Connection.SendAsync(
                root => new HttpRequestMessage(HttpMethod.Post,
                    new Uri(root, $"{repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(from)}")),
                scopes, new SendOptions($"mount into {repository}") { ThrowOnAuthFailure = false }, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Created) return (true, null);
            if (response.StatusCode == HttpStatusCode.Accepted && response.Headers.Location is { } location)
                return (false, new Uri(await client.Connection.ApiRootAsync(cancellationToken).ConfigureAwait(false), location));
            log.Detail($"  mount of {TransferProgress.Short(digest)} from {from} answered {(int)response.StatusCode}; uploading instead");
            return (false, null);
        }
        catch (OciException ex) when (ex.Code is ErrorCodes.RegistryUnreachable or ErrorCodes.RegistryProtocolError)
        {
            return (false, null); // any failure of the mount itself: fall back to a plain upload
        }
    }

    private async Task<Uri> StartUploadAsync(string repository, IReadOnlyList<RegistryScope> scopes, CancellationToken cancellationToken)
    {
        using var response = await client.Connection.SendAsync(root => new HttpRequestMessage(HttpMethod.Post, new Uri(root, $"{repository}/blobs/uploads/")),
            scopes, new SendOptions($"push to {repository}"), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted || response.Headers.Location is null)
        {
            await client.EnsureSuccessAsync(response, $"start an upload to {repository}").ConfigureAwait(false);
            throw new OciException(ErrorCodes.RegistryProtocolError, $"{client.Endpoint.Host} answered {(int)response.StatusCode} without an upload location when asked to start an upload to {repository}.");
        }
        return new Uri(await client.Connection.ApiRootAsync(cancellationToken).ConfigureAwait(false), response.Headers.Location);
    }

    private async Task PutMonolithicAsync(Uri session, Descriptor blob, Func<Stream> open, IReadOnlyList<RegistryScope> scopes, Action<long> count,
        CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.Connection.SendAsync(_ =>
            {
                var file = open();
                var request = new HttpRequestMessage(HttpMethod.Put, WithDigest(session, blob.Digest))
                {
                    Content = Body(new CountingReadStream(file, blob.Size, count), blob.Size),
                };
                return request;
            }, scopes, new SendOptions($"push {blob.Digest}") { Retry = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (OciException ex) when (ex.Code == ErrorCodes.RegistryUnreachable)
        {
            throw new UploadSessionLost(ex.Message);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Created) return;
            if (RetryPolicy.IsRetryable(response.StatusCode) || response.StatusCode == HttpStatusCode.NotFound)
                throw new UploadSessionLost($"{(int)response.StatusCode} {response.ReasonPhrase}");
            await Rejected(response, blob).ConfigureAwait(false);
        }
    }

    private async Task PutChunkedAsync(Uri session, string repository, Descriptor blob, Func<Stream> open, IReadOnlyList<RegistryScope> scopes,
        Action<long> count, CancellationToken cancellationToken)
    {
        var location = session;
        long offset = 0;
        var failures = 0;
        var chunkSize = options.ChunkSize;
        while (offset < blob.Size)
        {
            var length = Math.Min(chunkSize, blob.Size - offset);
            var start = offset;
            HttpResponseMessage? response = null;
            try
            {
                response = await client.Connection.SendAsync(_ =>
                {
                    var file = open();
                    file.Seek(start, SeekOrigin.Begin);
                    var content = Body(new CountingReadStream(file, length, count), length);
                    content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
                    return new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
                }, scopes, new SendOptions($"push {blob.Digest}") { Retry = false }, cancellationToken).ConfigureAwait(false);
            }
            catch (OciException ex) when (ex.Code == ErrorCodes.RegistryUnreachable)
            {
                response = null;
            }

            using (response)
            {
                if (response is { StatusCode: HttpStatusCode.Accepted or HttpStatusCode.NoContent })
                {
                    if (response.Headers.Location is { } next) location = new Uri(location, next);
                    offset = RangeEnd(response) is { } end ? end + 1 : start + length;
                    if (response.Headers.TryGetValues("OCI-Chunk-Min-Length", out var min) && long.TryParse(min.FirstOrDefault(), out var minimum) && minimum > chunkSize)
                        chunkSize = minimum;
                    failures = 0;
                    continue;
                }
                if (response is not null && !RetryPolicy.IsRetryable(response.StatusCode) && response.StatusCode != HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    if (response.StatusCode == HttpStatusCode.NotFound) throw new UploadSessionLost("the upload session expired");
                    await Rejected(response, blob).ConfigureAwait(false);
                }
                if (++failures >= Retry.MaxAttempts)
                    throw new UploadSessionLost(response is null ? "the connection failed repeatedly" : $"{(int)response.StatusCode} {response.ReasonPhrase}");
                await Task.Delay(Retry.Delay(failures, response), cancellationToken).ConfigureAwait(false);
            }
            // Ask the registry how much it kept, and continue from there rather than from zero.
            (location, offset) = await UploadStatusAsync(location, scopes, cancellationToken).ConfigureAwait(false);
            log.Detail($"  resuming {TransferProgress.Short(blob.Digest)} at byte {offset} of {blob.Size}");
        }

        using var done = await client.Connection.SendAsync(_ => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)) { Content = Body(Stream.Null, 0) },
            scopes, new SendOptions($"push {blob.Digest}"), cancellationToken).ConfigureAwait(false);
        if (done.StatusCode == HttpStatusCode.NotFound) throw new UploadSessionLost("the registry no longer knows the upload when it was finished");
        if (done.StatusCode != HttpStatusCode.Created) await Rejected(done, blob).ConfigureAwait(false);
    }

    private async Task<(Uri Location, long Offset)> UploadStatusAsync(Uri location, IReadOnlyList<RegistryScope> scopes, CancellationToken cancellationToken)
    {
        using var response = await client.Connection.SendAsync(_ => new HttpRequestMessage(HttpMethod.Get, location), scopes,
            new SendOptions("check an upload"), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) throw new UploadSessionLost("the upload session expired");
        if (response.StatusCode != HttpStatusCode.NoContent && !response.IsSuccessStatusCode)
            throw new UploadSessionLost($"upload status answered {(int)response.StatusCode}");
        var next = response.Headers.Location is { } l ? new Uri(location, l) : location;
        return (next, RangeEnd(response) is { } end ? end + 1 : 0);
    }

    /// <summary>The last byte the registry holds, from <c>Range: 0-N</c> (N is -1 for an empty upload in some registries).</summary>
    private static long? RangeEnd(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Range", out var values)) return null;
        var text = values.FirstOrDefault()?.Replace("bytes=", "", StringComparison.Ordinal);
        var dash = text?.IndexOf('-', 1) ?? -1;
        return dash > 0 && long.TryParse(text![(dash + 1)..], out var end) ? end : null;
    }

    private static Uri WithDigest(Uri location, Digest digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "digest=" + Uri.EscapeDataString(digest.ToString());
        return builder.Uri;
    }

    private static StreamContent Body(Stream stream, long length)
    {
        var content = new StreamContent(stream, 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = length;
        return content;
    }

    private async Task Rejected(HttpResponseMessage response, Descriptor blob)
    {
        var detail = await RegistryErrors.DescribeAsync(response).ConfigureAwait(false);
        throw new OciException(ErrorCodes.RegistryPushRejected, $"{client.Endpoint.Host} refused blob {blob.Digest} ({blob.Size} bytes): {detail}.");
    }

    private sealed class UploadSessionLost(string message) : Exception(message);
}
