using System.Text.Json;
using Serving.Gateway.Shadow;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Shadow;

/// <summary>A gateway's shadow copies of tabular by result, as its admin API counts them.</summary>
internal static class ShadowCounts
{
    public static async Task<Dictionary<string, long>> OfAsync(GatewayServer gateway)
    {
        using var doc = JsonDocument.Parse(await gateway.Admin!.GetStringAsync("/admin/models"));
        var model = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "tabular");
        return model.GetProperty("shadow").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
    }

    /// <summary>
    /// The counts once <paramref name="copies"/> are counted and none is in flight (a stalled copy ends at ShadowTimeout),
    /// or as they are after 20 s: a copy counted nowhere then shows as a shortfall in what the test compares.
    /// </summary>
    public static async Task<Dictionary<string, long>> SettledAsync(GatewayServer gateway, long copies)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (((await OfAsync(gateway)).Values.Sum() < copies || gateway.Service<ShadowMirror>().InFlight > 0) && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        return await OfAsync(gateway);
    }

    public static string Show(IReadOnlyDictionary<string, long> counts) => string.Join(", ", counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
