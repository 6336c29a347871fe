using System.Net;
using Serving.Gateway.FunctionalTests.TestSupport;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>Weights change 20 times while clients send on both protocols: no request fails (new policies apply to new requests; in-flight ones are untouched).</summary>
[Collection(GatewayCollection.Name)]
public sealed class ShiftUnderLoadTests(GatewayFixture fixture)
{
    [Fact]
    public async Task TwentyShifts_UnderConcurrentLoad_ZeroFailedRequests()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var done = 0;

        async Task Client(bool grpc)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    string? version;
                    if (grpc)
                    {
                        version = (await Infer.GrpcAsync(fixture.Gateway.Grpc)).Version;
                    }
                    else
                    {
                        var (status, v, body) = await Infer.RestAsync(fixture.Gateway.Http);
                        version = status == HttpStatusCode.OK ? v : throw new InvalidOperationException($"{status}: {body}");
                    }

                    if (version is not ("1" or "2"))
                    {
                        throw new InvalidOperationException($"served by version '{version}'");
                    }

                    Interlocked.Increment(ref done);
                }
                catch (Exception e)
                {
                    lock (failures)
                    {
                        failures.Add(e.Message);
                    }
                }
            }
        }

        var clients = Enumerable.Range(0, 8).Select(i => Task.Run(() => Client(grpc: i % 2 == 0))).ToArray();
        for (var shift = 1; shift <= 20; shift++)
        {
            var w2 = shift * 5;
            await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(100 - w2, w2));
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.True(done > 100, $"only {done} requests were sent");
        Assert.Equal("1=0 2=100", Policies.Weights(await Policies.GetAsync(fixture.Gateway.Admin!)));
        Assert.Equal("2", (await Infer.RestAsync(fixture.Gateway.Http)).Version);
    }
}
