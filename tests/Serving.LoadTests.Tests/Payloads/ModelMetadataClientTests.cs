using System.Net;
using System.Net.Sockets;
using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.Baselines.Echo;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Tests.Payloads;

/// <summary>The generator's first call, the model's metadata: nothing listening at the target says so and what to start.</summary>
public sealed class ModelMetadataClientTests
{
    [Theory]
    [InlineData("grpc")]
    [InlineData("rest")]
    public async Task NothingListening_SaysItCouldNotReachTheTarget(string over)
    {
        var protocol = over == "grpc" ? TargetProtocol.Grpc : TargetProtocol.RestJson;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var target = new LoadTarget(new Uri($"http://127.0.0.1:{port}"), protocol, "tabular");

        var e = await Assert.ThrowsAsync<LoadTestException>(() => ModelMetadataClient.GetInputsAsync(target, CancellationToken.None));

        Assert.StartsWith($"could not reach http://127.0.0.1:{port}/ (", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("is a server listening there? (`serving up`: gRPC 8001, REST 8000)", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A port that takes the connection and never answers: the call says so at its timeout. Before, gRPC said
    /// "failed: DeadlineExceeded " and nothing more, and REST's timeout was taken for Ctrl+C: "interrupted", exit 130.
    /// </summary>
    [Theory]
    [InlineData("grpc")]
    [InlineData("rest")]
    public async Task PortThatNeverAnswers_SaysNoAnswerWithinTheTimeout_NotInterrupted(string over)
    {
        var protocol = over == "grpc" ? TargetProtocol.Grpc : TargetProtocol.RestJson;
        using var silent = new TcpListener(IPAddress.Loopback, 0); // the kernel completes the connection; nothing reads it
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var target = new LoadTarget(new Uri($"http://127.0.0.1:{port}"), protocol, "tabular");

        var e = await Assert.ThrowsAsync<LoadTestException>(() => ModelMetadataClient.GetInputsAsync(target, CancellationToken.None, TimeSpan.FromSeconds(1)));

        Assert.Equal(
            $"no answer from http://127.0.0.1:{port}/ within 1 s to the model's metadata: is it the {(over == "grpc" ? "gRPC" : "REST")} port of a running server? (`serving up`: gRPC 8001, REST 8000)",
            e.Message);
    }

    [Fact]
    public async Task GrpcToARestPort_SaysItSpeaksHttp11Only_AndWhatToPass()
    {
        await using var echo = await EchoServer.StartAsync(new EchoServerOptions(BaselinePorts.Any, Features: 4), CancellationToken.None);
        var target = new LoadTarget(echo.Http1Address, TargetProtocol.Grpc, "m");

        var e = await Assert.ThrowsAsync<LoadTestException>(() => ModelMetadataClient.GetInputsAsync(target, CancellationToken.None));

        var expected = $"{echo.Http1Address} speaks HTTP/1.1 only, not gRPC: is it a REST port? Pass the gRPC port (`serving up`: 8001, a worker: 8081), or --protocol rest-json for REST";
        Assert.True(expected == e.Message, $"{e.Message}\n{e.InnerException}");
    }
}
