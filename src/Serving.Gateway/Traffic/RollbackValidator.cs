using System.Globalization;
using Serving.Gateway.Routing;

namespace Serving.Gateway.Traffic;

/// <summary>Checks a policy's <c>rollback</c> section: a baseline among the weights and every limit in range.</summary>
internal static class RollbackValidator
{
    public static void Validate(RollbackDocument rollback, Dictionary<string, int>? weights, List<string> errors)
    {
        if (rollback.Baseline is null)
        {
            errors.Add("rollback baseline is required: the version that gets the traffic back, e.g. \"1\"");
        }
        else if (weights is not null && weights.Count > 0 && !weights.ContainsKey(rollback.Baseline))
        {
            errors.Add($"rollback baseline '{Names.Printable(rollback.Baseline)}' is not one of the versions in weights");
        }

        if (rollback.MaxErrorRate is not { } rate)
        {
            errors.Add("rollback max_error_rate is required: the error rate a version must exceed to be rolled back, e.g. 0.05");
        }
        else if (!(rate > 0 && rate <= 1))
        {
            errors.Add($"rollback max_error_rate must be greater than 0 and at most 1 (got {rate.ToString(CultureInfo.InvariantCulture)})");
        }

        if (rollback.MaxP99Ms is < 0 or > RollbackPolicy.MaxP99Limit)
        {
            errors.Add($"rollback max_p99_ms must be from 0 (off) to {RollbackPolicy.MaxP99Limit} (got {rollback.MaxP99Ms})");
        }

        if (rollback.MinRequests is < 1 or > RollbackPolicy.MaxMinRequests)
        {
            errors.Add($"rollback min_requests must be from 1 to {RollbackPolicy.MaxMinRequests} (got {rollback.MinRequests})");
        }

        if (rollback.WindowSeconds is < RollbackPolicy.MinWindowSeconds or > RollbackPolicy.MaxWindowSeconds)
        {
            errors.Add($"rollback window_seconds must be from {RollbackPolicy.MinWindowSeconds} to {RollbackPolicy.MaxWindowSeconds} (got {rollback.WindowSeconds})");
        }
    }
}
