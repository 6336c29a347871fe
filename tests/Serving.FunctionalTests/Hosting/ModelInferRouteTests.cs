using System.Net;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Hosting;

/// <summary>
/// A gRPC ModelInfer call reaches its endpoint without route matching (the predict hot path), and answers as before;
/// every other call is matched by the router as before. Read from ASP.NET Core's own routing log at Debug.
/// </summary>
public sealed class ModelInferRouteTests
{
    private const string RoutingCategory = "Microsoft.AspNetCore.Routing.EndpointRoutingMiddleware";

    [Fact]
    public async Task ModelInfer_SkipsRouteMatching_OtherCallsAreMatched()
    {
        var logs = new CapturingLoggerProvider();
        await using var worker = await WorkerServer.StartAsync(
            RepoPaths.Models,
            new Dictionary<string, string?> { [$"Logging:LogLevel:{RoutingCategory}"] = "Debug" },
            tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        var golden = GoldenFile.Load("tabular", "1");

        var reply = await worker.Grpc.ModelInferAsync(golden.GrpcRequest("tabular", "1"));
        var metadata = await worker.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "tabular" });
        using var rest = await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(golden.RequestBody()));

        Assert.Equal(("tabular", "1", "tabular", HttpStatusCode.OK), (reply.ModelName, reply.ModelVersion, metadata.Name, rest.StatusCode));
        var output = reply.RawOutputContents.Count > 0 ? Floats(reply.RawOutputContents[0].ToByteArray()) : reply.Outputs[0].Contents.Fp32Contents.ToArray();
        Assert.Equal(golden.OutputShape, reply.Outputs[0].Shape);
        Assert.Equal(golden.Expected.Length, output.Length);
        Assert.All(golden.Expected.Zip(output), p => Assert.Equal(p.First, p.Second, 1e-5));
        var routing = logs.Entries.Where(e => e.Category == RoutingCategory).Select(e => e.Message).ToArray();
        var log = string.Join("\n", routing);
        Assert.Contains("Endpoint 'gRPC - /inference.GRPCInferenceService/ModelInfer' already set, skipping route matching.", routing);
        Assert.DoesNotContain(routing, m => m.StartsWith("Request matched endpoint", StringComparison.Ordinal) && m.Contains("ModelInfer", StringComparison.Ordinal));
        Assert.True(routing.Contains("Request matched endpoint 'gRPC - /inference.GRPCInferenceService/ModelMetadata'"), log);
        Assert.True(routing.Any(m => m.StartsWith("Request matched endpoint", StringComparison.Ordinal) && m.Contains("/v2/models/{model}/versions/{version}/infer", StringComparison.Ordinal)), log);
    }

    [Fact]
    public async Task ModelInfer_ThePathSpelledOtherwise_IsMatchedByTheRouter_ToTheSameAnswer()
    {
        // Routing's literals ignore case; the shortcut takes the exact path only, so this one goes through the router.
        await using var worker = await WorkerServer.StartAsync(RepoPaths.Models);
        var golden = GoldenFile.Load("tabular", "1");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/inference.grpcinferenceservice/modelinfer")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(Frame(golden.GrpcRequest("tabular", "1").ToByteArray())),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{worker.Listeners.GrpcPort}") };

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        var reply = ModelInferResponse.Parser.ParseFrom(body.AsSpan(5).ToArray());
        Assert.Equal(("tabular", "1"), (reply.ModelName, reply.ModelVersion));
    }

    private static byte[] Frame(byte[] message)
    {
        var frame = new byte[message.Length + 5];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    private static float[] Floats(byte[] raw) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray();
}
