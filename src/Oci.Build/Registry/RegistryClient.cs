using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Oci.Build.IO;
using Oci.Build.Oci;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transport;

namespace Oci.Build.Registry;

/// <summary>A manifest or index exactly as the registry served it (the bytes are what the digest is of).</summary>
public sealed record ManifestDocument(byte[] Content, string MediaType, Digest Digest)
{
    public Descriptor Descriptor => new() { MediaType = MediaType, Digest = Digest, Size = Content.Length };
}

/// <summary>
/// The distribution API (OCI distribution-spec v1.1) for one endpoint: manifests and blobs by repository. Every read is
/// checked against its digest; every access is scoped to the repository in the URL (existence elsewhere means nothing).
/// </summary>
public sealed class RegistryClient(RegistryConnection connection)
{
    public static readonly string[] ManifestMediaTypes =
        [MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList];

    public RegistryConnection Connection => connection;

    public RegistryEndpoint Endpoint => connection.Endpoint;

    public static string Path(string repository, string kind, string reference) => $"{repository}/{kind}/{reference}";

    public async Task<ManifestDocument> GetManifestAsync(string repository, string reference, IReadOnlyList<RegistryScope> scopes, CancellationToken cancellationToken)
    {
        // A document is small: when its body breaks off or stalls, it is simply fetched again (SendAsync retries statuses).
        var policy = connection.Transport.Options.Retry;
        for (var attempt = 1; ; attempt++)
        {
            using var response = await connection.SendAsync(root => ManifestRequest(HttpMethod.Get, root, repository, reference), scopes,
                new SendOptions($"pull {repository}"), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new OciException(ErrorCodes.RegistryManifestNotFound,
                    $"{Endpoint.Host}/{repository}:{reference} does not exist (404). Check the repository name and tag or digest.");
            await EnsureSuccessAsync(response, $"get the manifest {repository}:{reference}").ConfigureAwait(false);
            byte[] content;
            try
            {
                content = await BodyReader.ReadAsync(response, OciJson.MaxDocumentSize, connection.Transport.Options.BodyIdleTimeout, cancellationToken).ConfigureAwait(false)
                    ?? throw new OciException(ErrorCodes.InvalidDocument,
                        $"The manifest {repository}:{reference} on {Endpoint.Host} is larger than {OciJson.MaxDocumentSize} bytes; refusing it.");
            }
            catch (Exception ex) when (RegistryConnection.IsTransient(ex, cancellationToken) && attempt < policy.MaxAttempts)
            {
                await Task.Delay(policy.Delay(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (Exception ex) when (RegistryConnection.IsTransient(ex, cancellationToken))
            {
                throw BodyFailed(ex, $"The manifest {repository}:{reference} from {Endpoint.Host}", attempt);
            }
            return Check(response, content, repository, reference);
        }
    }

    private ManifestDocument Check(HttpResponseMessage response, byte[] content, string repository, string reference)
    {
        Digest.TryParse(reference, out var expected);
        var digest = Digest.Of(content, expected?.Algorithm ?? "sha256");
        if (expected is not null && expected != digest)
            throw new OciException(ErrorCodes.RegistryDigestMismatch,
                $"{Endpoint.Host}/{repository}@{expected} served a manifest whose digest is {digest}; the registry (or something between) changed it. Nothing was used.");
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var claimed) && claimed.Algorithm == digest.Algorithm
            && claimed != digest)
            throw new OciException(ErrorCodes.RegistryDigestMismatch,
                $"{Endpoint.Host}/{repository}:{reference} says its manifest is {claimed}, but the bytes served are {digest}. Nothing was used.");
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !ManifestMediaTypes.Contains(mediaType)) mediaType = MediaTypes.DetectManifest(content);
        return new ManifestDocument(content, mediaType, digest);
    }

    /// <summary>The digest a tag or digest currently names, or null when it does not exist.</summary>
    public async Task<Digest?> HeadManifestAsync(string repository, string reference, IReadOnlyList<RegistryScope> scopes, CancellationToken cancellationToken)
    {
        using var response = await connection.SendAsync(root => ManifestRequest(HttpMethod.Head, root, repository, reference), scopes,
            new SendOptions($"read {repository}:{reference}"), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, $"check the manifest {repository}:{reference}").ConfigureAwait(false);
        return response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var digest) ? digest : null;
    }

    /// <summary>HEAD on the blob in this repository. Existence is per repository: this says nothing about any other.</summary>
    public async Task<bool> BlobExistsAsync(string repository, Digest digest, IReadOnlyList<RegistryScope> scopes, CancellationToken cancellationToken)
    {
        using var response = await connection.SendAsync(root => new HttpRequestMessage(HttpMethod.Head, new Uri(root, Path(repository, "blobs", digest.ToString()))),
            scopes, new SendOptions($"read {repository}"), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, $"check blob {digest} in {repository}").ConfigureAwait(false);
        return true;
    }

    /// <summary>Opens a blob for reading; the stream verifies digest and size as it is read (the last read throws on a mismatch).</summary>
    public async Task<Stream> OpenBlobAsync(string repository, Descriptor descriptor, IReadOnlyList<RegistryScope> scopes, CancellationToken cancellationToken)
    {
        Task<HttpResponseMessage> Request(long from, CancellationToken token) =>
            connection.SendAsync(root =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, Path(repository, "blobs", descriptor.Digest.ToString())));
                if (from > 0) request.Headers.Range = new RangeHeaderValue(from, null);
                return request;
            }, scopes, new SendOptions($"pull {repository}"), token);

        var what = $"Blob {descriptor.Digest} from {Endpoint.Host}/{repository}";
        var response = await Request(0, cancellationToken).ConfigureAwait(false);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new OciException(ErrorCodes.RegistryBlobNotFound,
                    $"Blob {descriptor.Digest} is not available through {Endpoint.Host}/{repository} (404). A registry serves a blob only through a repository " +
                    "whose images reference it; knowing its digest is not enough. Pull the image from the repository it belongs to.");
            await EnsureSuccessAsync(response, $"get blob {descriptor.Digest} from {repository}").ConfigureAwait(false);
            // A registry that names another digest for the bytes it sends is refused before a byte is read.
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { } header && header != descriptor.Digest.ToString())
                throw new OciException(ErrorCodes.RegistryDigestMismatch, $"{what}: the registry says it is sending '{Truncate(header)}'. Nothing was used.");
            var body = await ResumingBlobStream.OpenAsync(response, Request, descriptor.Size, what, connection.Transport.Options, cancellationToken).ConfigureAwait(false);
            return new VerifyingReadStream(body, descriptor.Digest, descriptor.Size, what, ErrorCodes.RegistryDigestMismatch);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static HttpRequestMessage ManifestRequest(HttpMethod method, Uri root, string repository, string reference)
    {
        var request = new HttpRequestMessage(method, new Uri(root, Path(repository, "manifests", reference)));
        foreach (var type in ManifestMediaTypes) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        return request;
    }

    /// <summary>Turns an unexpected status into a coded error with the registry's own error code (never its headers).</summary>
    public async Task EnsureSuccessAsync(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        var detail = await RegistryErrors.DescribeAsync(response).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new OciException(ErrorCodes.RegistryAccessDenied, $"{Endpoint.Host} denied the request to {what}: {detail}.");
        throw new OciException(ErrorCodes.RegistryProtocolError, $"{Endpoint.Host} could not {what}: {detail}.");
    }

    /// <summary>The coded error for a document body that broke off or stalled on every attempt.</summary>
    public static OciException BodyFailed(Exception ex, string what, int attempts) =>
        ex is BodyStalledException stalled
            ? new OciException(ErrorCodes.RegistryBodyStalled,
                $"{what} stalled: nothing arrived for {stalled.IdleTimeout.TotalSeconds:0.#} s, {attempts} time(s). Try again later.", ex)
            : new OciException(ErrorCodes.RegistryBodyTruncated, $"{what} broke off before its end ({ex.Message}), {attempts} time(s). Try again later.", ex);

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "...";
}

/// <summary>Reads the distribution error body (<c>{"errors":[{"code","message"}]}</c>) into one safe line.</summary>
public static class RegistryErrors
{
    public static async Task<string> DescribeAsync(HttpResponseMessage response)
    {
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            // Bounded in size and time: a huge or endless error body is not read, only its status reported.
            var body = await BodyReader.ReadAsync(response, BodyReader.MaxErrorBody, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            if (body is null or { Length: 0 }) return status;
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var parts = errors.EnumerateArray()
                    .Select(e => $"{(e.TryGetProperty("code", out var c) ? c.GetString() : "")} {(e.TryGetProperty("message", out var m) ? m.GetString() : "")}".Trim())
                    .Where(p => p.Length > 0).Take(3).ToList();
                if (parts.Count > 0) return $"{status} ({string.Join("; ", parts)})";
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException or InvalidOperationException)
        {
        }
        return status;
    }
}
