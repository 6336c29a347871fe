using System.Globalization;
using System.Net;
using System.Text;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A caller that sends part of a body the gateway streams on to a worker (chunked, or longer than the gateway reads
/// itself) and then stops. The worker's own minimum body data rate runs on the gateway's upload, which goes at the
/// caller's pace, so the worker can give up on it before the gateway gives up on the caller: that is the caller's
/// doing. Over HTTP/2 (the gateway's hop when calls overlap) Kestrel enforces that rate by resetting the whole
/// connection: the gateway answered 503 "failed before answering" and took the worker out of rotation, so the next caller
/// got "no ready version". Now the caller gets the gateway's 408, and the worker stays in rotation for the next caller.
/// </summary>
public sealed class StalledBodyTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BodyStoppedMidStream_CallersFault_WorkerStaysInRotation(bool chunked)
    {
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path);
        await using var gateway = await GatewayServer.StartAsync([worker]);
        var part = Encoding.UTF8.GetBytes(Infer.RestBody)[..100];
        var request = chunked
            ? RawExchange.Request("POST", "/v2/models/tabular/versions/1/infer", [("Host", "x"), ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
                Encoding.ASCII.GetBytes($"{part.Length:x}\r\n{Encoding.ASCII.GetString(part)}\r\n"))
            : RawExchange.Request("POST", "/v2/models/tabular/versions/1/infer", [("Host", "x"), ("Content-Type", "application/json"), ("Content-Length", (1024 * 1024).ToString(CultureInfo.InvariantCulture))], part);

        // The caller then waits, its body unfinished, until one side gives up on it (Kestrel's rate: 240 B/s after 5 s).
        // Two at once: the second overlaps the first, so it goes to the worker over HTTP/2 (RestToWorkers: Auto).
        var first = RawExchange.SendAsync(gateway.Listeners.RestPort, request, RawExchange.Then.Wait, TimeSpan.FromSeconds(60));
        await Task.Delay(200);
        var answers = await Task.WhenAll(first, RawExchange.SendAsync(gateway.Listeners.RestPort, request, RawExchange.Then.Wait, TimeSpan.FromSeconds(60)));

        foreach (var answer in answers)
        {
            Assert.True(answer.Status == 408, $"{answer.Ending} {answer.Status} {answer.Text}");
            Assert.Contains("data arriving too slowly", answer.Error, StringComparison.Ordinal);
        }

        var next = await Infer.RestAsync(gateway.Http);
        Assert.True(next.Status == HttpStatusCode.OK, $"the next caller got {next.Status}: {next.Body}");
    }
}
