using System.Globalization;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Rollback;

/// <summary>
/// Decides on one version's window: nothing before <see cref="RollbackPolicy.MinRequests"/> outcomes;
/// then a rollback when the error rate is above <see cref="RollbackPolicy.MaxErrorRate"/>, or, with a
/// latency limit, when more than 1% of the requests took longer than it (the p99 is above the limit).
/// </summary>
internal static class RollbackDecision
{
    public static RollbackVerdict? Evaluate(RollbackPolicy settings, OutcomeCounts counts)
    {
        if (counts.Requests < settings.MinRequests)
        {
            return null;
        }

        if (counts.ErrorRate > settings.MaxErrorRate)
        {
            return new RollbackVerdict(counts, string.Create(CultureInfo.InvariantCulture,
                $"error rate {counts.ErrorRate * 100:0.#}% ({counts.Errors} of {counts.Requests} requests in the last {settings.WindowSeconds} s) is above max_error_rate {settings.MaxErrorRate * 100:0.##}%"));
        }

        if (settings.MaxP99Ms > 0 && counts.SlowShare > RollbackPolicy.SlowShare)
        {
            return new RollbackVerdict(counts, string.Create(CultureInfo.InvariantCulture,
                $"p99 latency is above max_p99_ms {settings.MaxP99Ms} ms ({counts.Slow} of {counts.Requests} requests in the last {settings.WindowSeconds} s took longer)"));
        }

        return null;
    }
}
