using System.Globalization;

namespace Serving.Protocol.Wire;

/// <summary>A gRPC call's <c>grpc-timeout</c> header: 1 to 8 digits and a unit (H, M, S, m, u, n), per gRPC over HTTP/2.</summary>
public static class GrpcTimeout
{
    /// <summary>The header's name.</summary>
    public const string Header = "grpc-timeout";

    /// <summary>The status message of a call whose deadline passed while its request was still coming (worker and gateway alike).</summary>
    public const string PassedBeforeRequest = "the call's deadline (grpc-timeout) passed before the whole request arrived";

    /// <summary>The timeout <paramref name="value"/> gives; false when it is not a valid <c>grpc-timeout</c>.</summary>
    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length is < 2 or > 9 || !long.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        // 99,999,999 hours is 3.6e18 ticks: every amount fits.
        long? ticks = value[^1] switch
        {
            'H' => amount * TimeSpan.TicksPerHour,
            'M' => amount * TimeSpan.TicksPerMinute,
            'S' => amount * TimeSpan.TicksPerSecond,
            'm' => amount * TimeSpan.TicksPerMillisecond,
            'u' => amount * TimeSpan.TicksPerMicrosecond,
            'n' => amount / TimeSpan.NanosecondsPerTick,
            _ => null,
        };
        if (ticks is not { } t)
        {
            return false;
        }

        timeout = TimeSpan.FromTicks(t);
        return true;
    }
}
