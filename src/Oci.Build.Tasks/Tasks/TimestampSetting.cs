using System.Globalization;
using Oci.Build.Oci;

namespace Oci.Build.Tasks;

/// <summary>
/// The one timestamp of a build: <c>SOURCE_DATE_EPOCH</c> (seconds) when set, else <c>ContainerCreated</c> (ISO 8601),
/// else the Unix epoch, so the same sources always give the same digest.
/// </summary>
public static class TimestampSetting
{
    public static DateTimeOffset Resolve(string? sourceDateEpoch, string? containerCreated)
    {
        if (!string.IsNullOrWhiteSpace(sourceDateEpoch))
        {
            if (!long.TryParse(sourceDateEpoch.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
                throw new OciException(ErrorCodes.InvalidSetting, $"SOURCE_DATE_EPOCH '{sourceDateEpoch}' is not a number of seconds since 1970-01-01.");
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }
        if (!string.IsNullOrWhiteSpace(containerCreated))
        {
            if (!DateTimeOffset.TryParse(containerCreated.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created) || created < DateTimeOffset.UnixEpoch)
                throw new OciException(ErrorCodes.InvalidSetting, $"ContainerCreated '{containerCreated}' is not an ISO 8601 time after 1970 (e.g. 2026-01-31T12:00:00Z).");
            return DateTimeOffset.FromUnixTimeSeconds(created.ToUnixTimeSeconds());
        }
        return DateTimeOffset.UnixEpoch;
    }
}
