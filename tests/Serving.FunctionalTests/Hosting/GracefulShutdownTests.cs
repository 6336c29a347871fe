using System.Collections.Concurrent;
using System.Net;
using Serving.Testing;

namespace Serving.FunctionalTests.Hosting;

/// <summary>SIGTERM: readiness turns false first, in-flight and grace-period requests finish, then the process exits 0.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_UnderLoad_ReadinessFalseFirstNoFailedRequestsExitZero()
    {
        using var process = await ServingProcess.StartAsync(
            "worker", "--models", RepoPaths.Models, "--bind", "127.0.0.1", "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--Serving:Shutdown:ReadinessGracePeriod=00:00:01", "--Serving:Worker:RepositoryPollInterval=00:00:00");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };
        var body = GoldenFile.Load("digits", "1").RequestBody();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var refused = 0;
        using var stop = new CancellationTokenSource();

        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    using var response = await http.PostAsync("/v2/models/digits/infer", new StringContent(body));
                    statuses.Add(response.StatusCode);
                }
                catch (HttpRequestException)
                {
                    // Once the listeners close, new connections are refused: that is the end of the run, not a failed request.
                    Interlocked.Increment(ref refused);
                    return;
                }
            }
        })).ToArray();

        while (statuses.Count < 20)
        {
            await Task.Delay(10);
        }

        process.Terminate();
        var sawNotReady = false;
        for (var i = 0; i < 200 && !sawNotReady; i++)
        {
            try
            {
                using var ready = await http.GetAsync("/v2/health/ready");
                sawNotReady = ready.StatusCode == HttpStatusCode.ServiceUnavailable;
            }
            catch (HttpRequestException)
            {
                break;
            }

            await Task.Delay(10);
        }

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        Assert.True(sawNotReady, "readiness never reported 503 before the listeners closed\n" + process.Output);
        Assert.Equal(0, exitCode);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Contains("Shutting down: readiness is false", process.Output, StringComparison.Ordinal);
    }
}
