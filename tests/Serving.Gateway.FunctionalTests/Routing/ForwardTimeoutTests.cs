using System.Net;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A worker that takes the request and never answers: after <c>ActivityTimeout</c> without progress the gateway
/// answers the caller itself, DEADLINE_EXCEEDED / 504, instead of holding the call for as long as the caller waits.
/// </summary>
public sealed class ForwardTimeoutTests
{
    private const string Model = "stalled";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WorkerThatNeverAnswers_TheGatewayAnswersDeadlineExceeded_AfterItsActivityTimeout(bool grpc)
    {
        await using var stalling = await StubWorker.StallingAsync(Model, "1");
        await using var gateway = await GatewayServer.StartAsync([stalling.Address], new Dictionary<string, string?>
        {
            ["Serving:Gateway:DiscoveryInterval"] = "00:10:00",
            ["Serving:Gateway:ActivityTimeout"] = "00:00:01",
        });

        // The caller would wait 30 s (its deadline, its HttpClient's timeout); the worker stalls for as long.
        if (grpc)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => Infer.GrpcAsync(gateway.Grpc, Infer.GrpcRequest(Model, "1")));
            Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
            Assert.Contains("did not answer in time", e.Status.Detail, StringComparison.Ordinal);
        }
        else
        {
            var (status, _, body) = await Infer.RestAsync(gateway.Http, $"/v2/models/{Model}/versions/1/infer");
            Assert.Equal(HttpStatusCode.GatewayTimeout, status);
            Assert.Contains("did not answer in time", body, StringComparison.Ordinal);
        }

        Assert.Equal(1, stalling.Calls);
    }
}
