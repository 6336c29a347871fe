using System.Text.Json.Nodes;

namespace Serving.Commands;

/// <summary>The <c>rollback</c> section <c>serving traffic set</c> sends; omitted values take the gateway's defaults.</summary>
internal sealed record TrafficRollbackSettings(string Baseline, double MaxErrorRate, int? MinRequests = null, int? WindowSeconds = null, int? MaxP99Ms = null)
{
    public JsonObject ToJson()
    {
        var node = new JsonObject { ["baseline"] = Baseline, ["max_error_rate"] = MaxErrorRate };
        if (MinRequests is { } min)
        {
            node["min_requests"] = min;
        }

        if (WindowSeconds is { } window)
        {
            node["window_seconds"] = window;
        }

        if (MaxP99Ms is { } p99)
        {
            node["max_p99_ms"] = p99;
        }

        return node;
    }
}
