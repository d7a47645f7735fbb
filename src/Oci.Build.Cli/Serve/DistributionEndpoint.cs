using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Serve;

/// <summary>
/// The read-only pull surface of the OCI distribution spec over a <see cref="ServedCatalog"/>: <c>/v2/</c>, manifests and
/// blobs (GET/HEAD, blobs with <c>Range</c>), tags list, <c>_catalog</c>, with <c>n</c>/<c>last</c> pagination and
/// <c>Link</c>. Writes answer 405 UNSUPPORTED. Paths are parsed here rather than by routing: a repository name has
/// slashes, so no route template can tell it from the <c>/manifests/</c> or <c>/blobs/</c> that follows.
/// </summary>
public sealed partial class DistributionEndpoint(ServedCatalog catalog, ServeAccess? access)
{
    public const string Realm = "dotnet-oci-serve";

    /// <summary>Set by the handler for the request log: who asked (never the secret).</summary>
    public const string ClientItem = "oci.client";

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers["Docker-Distribution-Api-Version"] = "registry/2.0";
        var path = request.Path.Value ?? "";
        var reading = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);

        if (path == TokenPath && access is not null)
        {
            await TokenAsync(context, access);
            return;
        }
        if (path is "/v2" or "/v2/")
        {
            if (!reading) { await Unsupported(context); return; }
            if (await AuthenticateAsync(context) is null) return;
            await Json(context, 200, new JsonObject());
            return;
        }
        if (path == "/v2/_catalog")
        {
            if (!reading) { await Unsupported(context); return; }
            if (await AuthenticateAsync(context) is not { } client) return;
            var names = catalog.Repositories.Keys.Where(n => client.MayPull(n)).ToList();
            var page = Page(context, names, "/v2/_catalog");
            if (page is null)
            {
                await InvalidPageSize(context);
                return;
            }
            await Json(context, 200, new JsonObject { ["repositories"] = new JsonArray(page.Select(n => (JsonNode)n).ToArray()) });
            return;
        }
        var match = RepositoryPath().Match(path);
        if (!match.Success)
        {
            await Error(context, 404, "NAME_UNKNOWN", "repository name not known to registry", path);
            return;
        }
        if (!reading)
        {
            await Unsupported(context);
            return;
        }
        var name = match.Groups["name"].Value;
        var kind = match.Groups["kind"].Value;
        var reference = match.Groups["reference"].Value;
        if (await AuthenticateAsync(context) is not { } who) return;
        if (!who.MayPull(name))
        {
            // Authenticated but without a grant: DENIED, whether the repository exists or not (no existence oracle).
            await Error(context, 403, "DENIED", "requested access to the resource is denied", name);
            return;
        }
        if (!catalog.Repositories.TryGetValue(name, out var repository))
        {
            await Error(context, 404, "NAME_UNKNOWN", "repository name not known to registry", name);
            return;
        }
        switch (kind)
        {
            case "tags" when reference == "list":
                var tags = Page(context, repository.Tags.Keys.ToList(), $"/v2/{name}/tags/list");
                if (tags is null)
                {
                    await InvalidPageSize(context);
                    return;
                }
                await Json(context, 200, new JsonObject { ["name"] = name, ["tags"] = new JsonArray(tags.Select(t => (JsonNode)t).ToArray()) });
                return;
            case "manifests":
                await ManifestAsync(context, repository, reference);
                return;
            case "blobs" when !reference.StartsWith("uploads", StringComparison.Ordinal):
                await BlobAsync(context, repository, reference);
                return;
            default:
                await Error(context, 404, "NAME_UNKNOWN", "unknown endpoint", path);
                return;
        }
    }

    private static async Task ManifestAsync(HttpContext context, ServedRepository repository, string reference)
    {
        ServedManifest? manifest = null;
        if (Digest.TryParse(reference, out var digest)) repository.Manifests.TryGetValue(digest, out manifest);
        else if (repository.Tags.TryGetValue(reference, out var tagged)) manifest = repository.Manifests[tagged];
        if (manifest is null)
        {
            await Error(context, 404, "MANIFEST_UNKNOWN", "manifest unknown to registry", $"{repository.Name}:{reference}");
            return;
        }
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = manifest.Descriptor.MediaType;
        response.ContentLength = manifest.Content.Length;
        response.Headers["Docker-Content-Digest"] = manifest.Descriptor.Digest.ToString();
        response.Headers.ETag = $"\"{manifest.Descriptor.Digest}\"";
        if (HttpMethods.IsGet(context.Request.Method)) await response.Body.WriteAsync(manifest.Content, context.RequestAborted);
    }

    /// <summary>
    /// A blob the repository references (a manifest too: clients may fetch one by digest through /blobs/). Full reads of a
    /// blob never verified go through the source's verifying stream; a mismatch aborts the connection rather than
    /// finishing a 200 with wrong bytes. <c>Range</c> reads come from the file range and rely on the client's digest check.
    /// </summary>
    private static async Task BlobAsync(HttpContext context, ServedRepository repository, string reference)
    {
        if (!Digest.TryParse(reference, out var digest))
        {
            await Error(context, 400, "DIGEST_INVALID", "provided digest did not match uploaded content", reference);
            return;
        }
        var response = context.Response;
        response.Headers["Docker-Content-Digest"] = digest.ToString();
        response.Headers.ETag = $"\"{digest}\"";
        if (!repository.Blobs.TryGetValue(digest, out var blob))
        {
            if (repository.Manifests.TryGetValue(digest, out var document))
            {
                response.ContentType = "application/octet-stream";
                response.ContentLength = document.Content.Length;
                if (HttpMethods.IsGet(context.Request.Method)) await response.Body.WriteAsync(document.Content, context.RequestAborted);
                return;
            }
            await Error(context, 404, "BLOB_UNKNOWN", "blob unknown to registry", $"{digest} in {repository.Name}");
            return;
        }
        var size = blob.Descriptor.Size;
        var file = blob.Source.TryGetBlobRange(digest);
        response.ContentType = "application/octet-stream";
        if (file is not null) response.Headers.AcceptRanges = "bytes";

        var (start, length) = (0L, size);
        if (file is not null && RequestedRange(context.Request, size) is { } range)
        {
            if (range.Start < 0)
            {
                response.StatusCode = 416;
                response.Headers.ContentRange = $"bytes */{size}";
                return;
            }
            (start, length) = range;
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {start}-{start + length - 1}/{size}";
        }
        response.ContentLength = length;
        if (HttpMethods.IsHead(context.Request.Method)) return;

        if (file is not null && (blob.Verified || response.StatusCode == 206))
        {
            await response.SendFileAsync(new FileRange(file), file.Offset + start, length, context.RequestAborted);
            return;
        }
        try
        {
            await using var stream = await blob.Source.OpenBlobAsync(blob.Descriptor, context.RequestAborted);
            await stream.CopyToAsync(response.Body, 1 << 16, context.RequestAborted);
            blob.Verified = true;
        }
        catch (OciException)
        {
            context.Items[ClientItem + ".failure"] = $"{digest} failed verification in {blob.Source.Description}";
            context.Abort(); // the headers are gone: only a cut connection tells the client the body is not the blob
        }
    }

    /// <summary>A single <c>bytes=</c> range, clamped; (-1, 0) when unsatisfiable; null when absent or not one range (then the whole blob, 200).</summary>
    private static (long Start, long Length)? RequestedRange(HttpRequest request, long size)
    {
        if (!RangeHeaderValue.TryParse(request.Headers.Range.ToString(), out var header) || header.Unit != "bytes" || header.Ranges.Count != 1) return null;
        var item = header.Ranges.Single();
        long start, end;
        if (item.From is { } from)
        {
            start = from;
            end = Math.Min(item.To ?? size - 1, size - 1);
        }
        else
        {
            var suffix = Math.Min(item.To ?? 0, size);
            start = size - suffix;
            end = size - 1;
        }
        return start >= size || end < start ? (-1, 0) : (start, end - start + 1);
    }

    public const string TokenPath = "/token";

    /// <summary>The realm of the Bearer challenge: Basic credentials (or a configured token) in, a session token out.</summary>
    private static async Task TokenAsync(HttpContext context, ServeAccess access)
    {
        if (access.Authenticate(context.Request.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null) is not { } client)
        {
            context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\"";
            await Error(context, 401, "UNAUTHORIZED", "authentication required", null);
            return;
        }
        context.Items[ClientItem] = client.Name;
        var (token, lifetime) = access.IssueSession(client);
        context.Response.Headers.CacheControl = "no-store";
        await Json(context, 200, new JsonObject { ["token"] = token, ["access_token"] = token, ["expires_in"] = (int)lifetime.TotalSeconds });
    }

    /// <summary>The client the request proves, or null after answering 401 (always a client when no access file is set).</summary>
    private async Task<ServeClient?> AuthenticateAsync(HttpContext context)
    {
        if (access is null) return Anonymous;
        var client = access.Authenticate(context.Request.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null);
        if (client is not null)
        {
            context.Items[ClientItem] = client.Name;
            return client;
        }
        // A Bearer challenge: clients with a user and password fetch a session token from the realm; clients with a
        // configured token send it directly. Basic credentials sent up front (curl -u) are accepted too.
        var request = context.Request;
        context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{request.Scheme}://{request.Host}{TokenPath}\",service=\"{Realm}\"";
        await Error(context, 401, "UNAUTHORIZED", "authentication required", null);
        return null;
    }

    private static readonly ServeClient Anonymous = new("-", ["*"]);

    /// <summary>n/last pagination (distribution spec): names after <c>last</c>, at most n, and a <c>Link</c> to the next page; null when n is not a number.</summary>
    private static List<string>? Page(HttpContext context, List<string> names, string path)
    {
        var query = context.Request.Query;
        var last = query["last"].ToString();
        var after = last.Length == 0 ? names : names.Where(n => string.CompareOrdinal(n, last) > 0).ToList();
        if (query["n"].ToString() is not { Length: > 0 } text) return after;
        if (!int.TryParse(text, out var n) || n < 0) return null;
        var page = after.Take(n).ToList();
        if (after.Count > n && page.Count > 0)
            context.Response.Headers.Link = $"<{path}?n={n}&last={Uri.EscapeDataString(page[^1])}>; rel=\"next\"";
        return page;
    }

    private static Task InvalidPageSize(HttpContext context) =>
        Error(context, 400, "PAGINATION_NUMBER_INVALID", "invalid number of results requested", context.Request.Query["n"].ToString());

    private static Task Unsupported(HttpContext context)
    {
        context.Response.Headers.Allow = "GET, HEAD";
        return Error(context, 405, "UNSUPPORTED", "The operation is unsupported: this server is read-only.", null);
    }

    private static Task Error(HttpContext context, int status, string code, string message, string? detail) =>
        Json(context, status, new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message, ["detail"] = detail }) });

    private static async Task Json(HttpContext context, int status, JsonNode body)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method)) await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    [GeneratedRegex("^/v2/(?<name>" + ServedCatalog.RepositoryGrammar + ")/(?<kind>manifests|blobs|tags)/(?<reference>.+)$")]
    private static partial Regex RepositoryPath();

    /// <summary>The archive or blob file, for SendFileAsync (which seeks to the blob's offset itself).</summary>
    private sealed class FileRange(Graph.BlobFileRange range) : Microsoft.Extensions.FileProviders.IFileInfo
    {
        public bool Exists => true;
        public long Length => new FileInfo(range.Path).Length;
        public string PhysicalPath => range.Path;
        public string Name => Path.GetFileName(range.Path);
        public DateTimeOffset LastModified => File.GetLastWriteTimeUtc(range.Path);
        public bool IsDirectory => false;
        public Stream CreateReadStream() => new FileStream(range.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
    }
}
