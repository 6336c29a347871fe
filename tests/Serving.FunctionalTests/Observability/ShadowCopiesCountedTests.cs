using System.Net;
using System.Text;
using Serving.Testing;

namespace Serving.FunctionalTests.Observability;

/// <summary>
/// A gateway's shadow copies (<c>x-serving-arm: shadow</c>) are counted in serving_inference_requests_total as every
/// request is, and also in serving_inference_shadow_requests_total, so a dashboard can tell them from the requests
/// whose answer reached a caller: the worker's request rate per version counted shadow traffic as live. The model, a
/// copy of <c>fixed</c>, has a name no other test uses, so its series are this test's alone.
/// </summary>
public sealed class ShadowCopiesCountedTests
{
    private const string Model = "shadow_counted";
    private const string Body = """{"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[1,2,3,4]}]}""";
    private const string WrongDatatype = """{"inputs":[{"name":"x","datatype":"INT64","shape":[4],"data":[1,2,3,4]}]}""";

    [Fact]
    public async Task ShadowCopies_CountedApart_AsWellAsAmongAllRequests()
    {
        using var repo = new TempDirectory();
        await OwnSeries.CopyFixedAsAsync(repo.Path, Model);
        await using var server = await WorkerServer.StartAsync(repo.Path);
        var before = await OwnSeries.ScrapeAsync(server);

        Assert.Equal(HttpStatusCode.OK, await PostAsync(server, Body, shadow: false));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(server, Body, shadow: true));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(server, Body, shadow: true));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(server, WrongDatatype, shadow: true));

        var after = await OwnSeries.ScrapeAsync(server);
        Assert.Equal(3, Delta($"serving_inference_requests_total{{model=\"{Model}\",version=\"1\",protocol=\"rest\",code=\"ok\"}}"));
        Assert.Equal(2, Delta($"serving_inference_shadow_requests_total{{model=\"{Model}\",version=\"1\",code=\"ok\"}}"));
        Assert.Equal(1, Delta($"serving_inference_shadow_requests_total{{model=\"{Model}\",version=\"1\",code=\"InvalidArgument\"}}"));

        double Delta(string series) => MetricsExposition.Value(after, series) - MetricsExposition.Value(before, series);
    }

    private static async Task<HttpStatusCode> PostAsync(WorkerServer server, string body, bool shadow)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Model}/versions/1/infer") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (shadow)
        {
            request.Headers.Add("x-serving-arm", "shadow");
        }

        using var response = await server.Http.SendAsync(request);
        return response.StatusCode;
    }
}
