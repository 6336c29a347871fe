using System.Net;
using Serving.Testing;

namespace Serving.FunctionalTests.Hosting;

/// <summary>
/// During the readiness grace period HTTP/1.1 answers carry Connection: close, so a keep-alive caller reconnects
/// elsewhere instead of sending its next request on a connection the worker is about to close.
/// </summary>
public sealed class ConnectionCloseWhenStoppingTests
{
    [Fact]
    public async Task Worker_GracePeriod_AnswersSayConnectionClose_BeforeItNone()
    {
        await using var worker = await WorkerServer.StartAsync(RepoPaths.Models, new Dictionary<string, string?> { ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:03" });
        using (var before = await worker.Http.GetAsync("/v2/health/live"))
        {
            Assert.NotEqual(true, before.Headers.ConnectionClose);
        }

        var stopping = worker.App.StopAsync();
        HttpResponseMessage? ready = null;
        for (var i = 0; i < 100 && ready?.StatusCode != HttpStatusCode.ServiceUnavailable; i++)
        {
            ready?.Dispose();
            ready = await worker.Http.GetAsync("/v2/health/ready");
        }

        using (ready)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready!.StatusCode);
            Assert.True(ready.Headers.ConnectionClose, "the grace period's answer does not say Connection: close");
        }

        using (var live = await worker.Http.GetAsync("/v2/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.True(live.Headers.ConnectionClose);
        }

        await stopping;
    }
}
