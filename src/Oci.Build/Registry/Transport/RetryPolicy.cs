using System.Net;

namespace Oci.Build.Registry.Transport;

/// <summary>
/// When and how long to wait before trying again: server errors (5xx but 501), 429 (honouring Retry-After, capped),
/// and transport failures (resets, timeouts). Exponential backoff with a little jitter.
/// </summary>
public sealed record RetryPolicy
{
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    public static readonly RetryPolicy Default = new();

    public static bool IsRetryable(HttpStatusCode status) =>
        status == HttpStatusCode.TooManyRequests || ((int)status >= 500 && status != HttpStatusCode.NotImplemented && status != HttpStatusCode.HttpVersionNotSupported);

    public TimeSpan Delay(int attempt, HttpResponseMessage? response = null)
    {
        if (response?.Headers.RetryAfter is { } retryAfter)
        {
            var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
            if (wait > TimeSpan.Zero) return wait < MaxDelay ? wait : MaxDelay;
        }
        var backoff = InitialDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var jitter = Random.Shared.NextDouble() * 0.25 * backoff;
        return TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, backoff + jitter));
    }
}
