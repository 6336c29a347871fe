using System.Net;
using System.Text;
using System.Text.Json;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Admin API calls the tests make.</summary>
internal static class Policies
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PutAsync(HttpClient admin, string model, string json)
    {
        using var response = await admin.PutAsync($"/admin/models/{model}/policy", new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone());
    }

    /// <summary>Sets a policy and fails the test if it is refused.</summary>
    public static async Task<JsonElement> SetAsync(GatewayServer gateway, string json, string model = "tabular")
    {
        var (status, body) = await PutAsync(gateway.Admin!, model, json);
        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        return body;
    }

    public static async Task<JsonElement> GetAsync(HttpClient admin, string model = "tabular")
    {
        var text = await admin.GetStringAsync($"/admin/models/{model}/policy");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The policy in force as the admin API answers it, for comparing before and after a change.</summary>
    public static async Task<string> InForceAsync(GatewayServer gateway, string model = "tabular") => (await GetAsync(gateway.Admin!, model)).GetRawText();

    /// <summary>A policy body with weights for versions 1 and 2.</summary>
    public static string TwoVersions(int w1, int w2) => $"{{\"weights\": {{\"1\": {w1}, \"2\": {w2}}}}}";

    public static string Weights(JsonElement policy) =>
        string.Join(" ", policy.GetProperty("weights").EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"{p.Name}={p.Value.GetInt32()}"));
}
