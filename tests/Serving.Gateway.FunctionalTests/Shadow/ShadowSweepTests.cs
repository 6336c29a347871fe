using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
using Serving.Gateway.Shadow;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Shadow;

/// <summary>
/// The seeded shadow sweep: many mixed calls (REST JSON, binary-extension, gzip and chunked bodies; gRPC plain and gzip;
/// good input, a wrong shape or datatype, an unknown model) through a gateway that copies every one to a shadow that
/// answers each as the case says (<see cref="MisbehavingShadow"/>: agrees, differs, stalls, breaks off, fails, answers
/// garbage or too much). Every primary answer must be exactly what a gateway without the shadow answers; each copy must
/// be counted once, as what it was (an unreadable shadow answer is a shadow_error, not a disagreement; a primary that
/// failed is primary_error); nothing is logged as an error, and no comparison fails. SHADOW_SWEEP_CASES runs longer.
/// </summary>
public sealed class ShadowSweepTests : IAsyncLifetime
{
    private const int Seed = 4242;
    private static readonly GoldenFile Golden = GoldenFile.Load("tabular", "1");
    private static readonly string[] Protocols = ["rest", "rest", "rest-binary", "rest-gzip", "rest-chunked", "grpc", "grpc", "grpc-gzip"];
    private static readonly string[] Inputs = ["good", "good", "good", "good", "good", "wrong-shape", "wrong-dtype", "unknown-model"];

    private Workers.OwnWorker _worker = null!;

    public async Task InitializeAsync() => _worker = await Workers.StartTabularAsync();

    public Task DisposeAsync() => _worker.DisposeAsync().AsTask();

    [Fact]
    public async Task MixedCallsAgainstAMisbehavingShadow_PrimaryAnswersUnchanged_EveryCopyCountedAsWhatItWas()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("SHADOW_SWEEP_CASES"), out var n) ? n : 150;
        await using var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        var logs = new CapturingLoggerProvider();
        var settings = new Dictionary<string, string?>
        {
            ["Serving:Gateway:ShadowTimeout"] = "00:00:01",
            ["Serving:Gateway:ShadowMaxResponseBytes"] = "65536",
            ["Serving:Gateway:PassiveReactivationPeriod"] = "00:00:00", // a shadow that failed stays a candidate
        };
        var workers = new[] { GatewayWorkerAddress.Loopback(_worker.Worker.Listeners.RestPort, _worker.Worker.Listeners.GrpcPort), shadow.Worker.Address };
        await using var plain = await GatewayServer.StartAsync(workers, settings);
        await using var gateway = await GatewayServer.StartAsync(workers, settings, t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        await Policies.SetAsync(plain, """{"weights": {"1": 100}}""");
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "9", "percent": 100}}""");
        shadow.AgreeingRest = (await SendAsync(plain, "rest", "good")).Body;
        shadow.AgreeingGrpc = (await SendAsync(plain, "grpc", "good")).Body;
        var callsBefore = shadow.Calls;

        var random = new Random(Seed);
        var kinds = MisbehavingShadow.Counted.Keys.ToArray();
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        var problems = new List<string>();
        var copies = 0;
        for (var i = 0; i < cases; i++)
        {
            var (protocol, input, kind) = (Protocols[random.Next(Protocols.Length)], Inputs[random.Next(Inputs.Length)], kinds[random.Next(kinds.Length)]);
            var name = $"case {i} ({protocol}, {input}, shadow {kind})";
            shadow.Kind = kind;
            var without = await SendAsync(plain, protocol, input);
            var calls = shadow.Calls;

            var with = await SendAsync(gateway, protocol, input);

            if (!with.SameAs(without))
            {
                problems.Add($"{name}: answered {with} with the shadow, {without} without");
            }

            // What the copy must be counted as; none for a model the gateway doesn't know (never routed, never copied).
            var result = input == "unknown-model" ? null
                : protocol == "rest-chunked" ? ShadowResults.TooLarge
                : input != "good" ? ShadowResults.PrimaryError
                : MisbehavingShadow.Counted[kind];
            if (result is null)
            {
                continue;
            }

            expected[result] = expected.GetValueOrDefault(result) + 1;
            if (protocol != "rest-chunked")
            {
                // The next case changes how the shadow answers: this one's copy must have arrived first.
                copies++;
                await Poll.UntilAsync(() => shadow.Calls > calls);
            }
        }

        var counted = await ShadowCounts.SettledAsync(gateway, expected.Values.Sum());
        if (!counted.OrderBy(p => p.Key).SequenceEqual(expected.OrderBy(p => p.Key)))
        {
            problems.Add($"counted {ShadowCounts.Show(counted)}, expected {ShadowCounts.Show(expected)}");
        }

        if (shadow.Calls - callsBefore != copies)
        {
            problems.Add($"the shadow got {shadow.Calls - callsBefore} copies, expected {copies}");
        }

        problems.AddRange(logs.Entries
            .Where(e => e.Level >= LogLevel.Error || (e.Level >= LogLevel.Warning && e.Category.Contains("Shadow", StringComparison.Ordinal)))
            .Select(e => $"logged {e.Level} {e.Category}: {e.Message} {e.Exception}"));
        Assert.True(problems.Count == 0, $"seed {Seed}, {cases} cases:\n" + string.Join("\n", problems));
    }

    /// <summary>One call as the case says, to <paramref name="gateway"/>; what the caller got.</summary>
    private static Task<Answer> SendAsync(GatewayServer gateway, string protocol, string input) =>
        protocol.StartsWith("grpc", StringComparison.Ordinal) ? SendGrpcAsync(gateway, protocol == "grpc-gzip", input) : SendRestAsync(gateway, protocol, input);

    private static async Task<Answer> SendRestAsync(GatewayServer gateway, string protocol, string input)
    {
        var shape = input == "wrong-shape" ? [Golden.InputShape[0], Golden.InputShape[1] + 1] : Golden.InputShape;
        var datatype = input == "wrong-dtype" ? "INT32" : "FP32";
        var path = input == "unknown-model" ? "/v2/models/nosuch/infer" : "/v2/models/tabular/infer";
        HttpContent content;
        if (protocol == "rest-binary")
        {
            var floats = new byte[Golden.Input.Length * 4];
            for (var i = 0; i < Golden.Input.Length; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(floats.AsSpan(i * 4), Golden.Input[i]);
            }

            var head = JsonSerializer.SerializeToUtf8Bytes(new
            {
                inputs = new[] { new { name = Golden.InputName, datatype, shape, parameters = new Dictionary<string, object> { ["binary_data_size"] = floats.Length } } },
            });
            content = new ByteArrayContent([.. head, .. floats]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.TryAddWithoutValidation("Inference-Header-Content-Length", head.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(new { id = "sweep", inputs = new[] { new { name = Golden.InputName, datatype, shape, data = Golden.Input } } });
            content = protocol switch
            {
                "rest-gzip" => new ByteArrayContent(Compressed.Of(json, "gzip")),
                "rest-chunked" => new ChunkedContent(json),
                _ => new ByteArrayContent(json),
            };
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (protocol == "rest-gzip")
            {
                content.Headers.ContentEncoding.Add("gzip");
            }
        }

        using (content)
        using (var response = await gateway.Http.PostAsync(path, content))
        {
            var body = await response.Content.ReadAsByteArrayAsync();
            var version = response.Headers.TryGetValues("x-serving-model-version", out var v) ? v.Single() : null;
            return new Answer((int)response.StatusCode, version, response.StatusCode == HttpStatusCode.OK ? Outputs(body) : Encoding.UTF8.GetString(body), body);
        }
    }

    private static async Task<Answer> SendGrpcAsync(GatewayServer gateway, bool gzip, string input)
    {
        var request = Golden.GrpcRequest(input == "unknown-model" ? "nosuch" : "tabular");
        request.Id = "sweep";
        if (input == "wrong-shape")
        {
            request.Inputs[0].Shape[1] += 1;
        }
        else if (input == "wrong-dtype")
        {
            request.Inputs[0].Datatype = "INT32";
        }

        var message = request.ToByteArray();
        var port = gateway.Listeners.GrpcPort;
        var (status, text, body) = gzip
            ? await RawGrpc.SendAsync(port, Encoded(RawGrpc.Frame(Compressed.Of(message, "gzip"), compressed: true)))
            : await RawGrpc.SendAsync(port, new ByteArrayContent(RawGrpc.Frame(message)));
        return new Answer(status, null, $"{status} {text}", body);
    }

    private static ByteArrayContent Encoded(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("grpc-encoding", "gzip"); // sent among the request headers
        return content;
    }

    private static string Outputs(byte[] body) => JsonDocument.Parse(body).RootElement.GetProperty("outputs").GetRawText();

    /// <summary>What a caller got: its status (HTTP, or gRPC), the version that answered, the outputs or error, and the body.</summary>
    private sealed record Answer(int Status, string? Version, string What, byte[] Body)
    {
        public bool SameAs(Answer other) => (Status, Version, What) == (other.Status, other.Version, other.What)
            && (Status != 0 || Body.AsSpan().SequenceEqual(other.Body));

        public override string ToString() => $"{Status} {Version} {What[..Math.Min(What.Length, 300)]}";
    }

    /// <summary>A body with no Content-Length: HttpClient sends it chunked.</summary>
    private sealed class ChunkedContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
