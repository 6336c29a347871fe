using System.Net.Sockets;
using System.Text;
using Serving.Testing;

namespace Serving.FunctionalTests.Hosting;

/// <summary>
/// A client that resets its connection part way through a REST body, or sends a body over the limit, is the client's
/// doing: the worker answers what it can and logs no error. Each reset used to log "An unhandled exception was thrown
/// by the application" (ConnectionResetException, with its stack) and Kestrel's "automatic draining of the request body
/// failed ... Reading is already in progress", both at fail: a client could flood the log.
/// </summary>
public sealed class BrokenBodyLogTests
{
    [Fact]
    public async Task ClientResetsMidBody_OrSendsTooMuch_WorkerLogsNoError_AndAnswersOthers()
    {
        using var process = await ServingProcess.StartAsync(
            "worker", "--models", RepoPaths.Models, "--bind", "127.0.0.1", "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--Serving:Worker:MaxRequestBytes=65536");
        var golden = GoldenFile.Load("tabular", "1");
        var body = Encoding.UTF8.GetBytes(golden.RequestBody());
        var rows = Enumerable.Repeat(golden.Input.Take(30), 64).SelectMany(x => x);
        var big = Encoding.UTF8.GetBytes(
            $"{{\"inputs\":[{{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[64,30],\"data\":[{string.Join(',', rows.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]}}]}}");

        // Many pipelined requests of 64 rows, then a reset (SO_LINGER 0) as soon as the first answer begins: the worker
        // is reading a body when the reset comes. Ten such clients at once, ten times.
        var pipelined = Encoding.ASCII.GetBytes($"POST /v2/models/tabular/versions/1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {big.Length}\r\n\r\n").Concat(big).ToArray();
        async Task ResetMidBodyAsync()
        {
            using var client = new TcpClient { LingerState = new LingerOption(true, 0) };
            await client.ConnectAsync("127.0.0.1", process.RestPort);
            var stream = client.GetStream();
            var send = Task.Run(async () =>
            {
                try
                {
                    for (var r = 0; r < 50; r++)
                    {
                        await stream.WriteAsync(pipelined);
                    }
                }
                catch (IOException)
                {
                    // Reset under the writes.
                }
            });
            _ = await stream.ReadAsync(new byte[16]); // the first answer has begun: reset with the rest in flight
            client.Client.Close();
            await send;
        }

        for (var round = 0; round < 10; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => ResetMidBodyAsync()));
        }

        // A chunked body over MaxRequestBytes: 413 once it passes the limit.
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") })
        {
            using var content = new StreamContent(new MemoryStream(new byte[200_000]));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/versions/1/infer") { Content = content };
            request.Headers.TransferEncodingChunked = true;
            using var tooLarge = await http.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

            using var ok = await http.PostAsync("/v2/models/tabular/versions/1/infer", new ByteArrayContent(body));
            Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
        }

        // Kestrel logs a broken drain when the connection closes: give it the moment.
        await Task.Delay(500);
        var errors = process.Output.Split('\n').Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length == 0, process.Output);
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }
}
