using System.Globalization;

namespace Serving.Protocol.Errors;

/// <summary>
/// The worker's mark on a 504 / DEADLINE_EXCEEDED that the caller's own deadline caused (a gRPC deadline, Triton's
/// <c>timeout</c> parameter, <c>X-Serving-Timeout-Ms</c>; not the model's <c>default_timeout_ms</c>): a REST response
/// header, or gRPC trailing metadata, <c>x-serving-deadline: caller; budget_us=N</c>, N the microseconds the caller's
/// deadline left the request when the worker began it. The gateway reads it to tell a caller's short deadline from a slow
/// version (automatic rollback).
/// </summary>
public static class CallerDeadlineMark
{
    /// <summary>The response header / trailing metadata key.</summary>
    public const string Header = "x-serving-deadline";

    private const string Prefix = "caller; budget_us=";

    /// <summary>The mark's value for a caller's deadline that left <paramref name="budget"/> (negative: none).</summary>
    public static string Value(TimeSpan budget) =>
        string.Concat(Prefix, (budget > TimeSpan.Zero ? budget.Ticks / TimeSpan.TicksPerMicrosecond : 0).ToString(CultureInfo.InvariantCulture));

    /// <summary>The budget a mark gives; false when <paramref name="value"/> is not a mark.</summary>
    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan budget)
    {
        budget = default;
        if (!value.StartsWith(Prefix, StringComparison.Ordinal)
            || !long.TryParse(value[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
            || micros > TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond)
        {
            return false;
        }

        budget = TimeSpan.FromTicks(micros * TimeSpan.TicksPerMicrosecond);
        return true;
    }
}
