using System.Net.Sockets;
using Serving.Testing;
using Serving.Worker.Hosting;

namespace Serving.FunctionalTests.Hosting;

/// <summary>
/// Serving:Worker:MaxConnections: past it a listener closes new connections at once, the ones it holds keep being
/// answered, a freed slot takes a new one, and the other listeners (metrics) are not starved. Without a limit, clients
/// holding idle connections ran the worker out of file descriptors and it aborted.
/// </summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task Worker_PastMaxConnections_ClosesNewOnes_KeepsAnsweringTheHeldOnes()
    {
        await using var worker = await WorkerServer.StartAsync(RepoPaths.Models, new Dictionary<string, string?> { ["Serving:Worker:MaxConnections"] = "4" });
        var port = worker.Service<WorkerListeners>().RestPort;
        var held = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                held.Add(await RawHttp1.ConnectAsync(port));
                Assert.True(await AnswersAsync(held[^1]), $"held connection {i} was not answered");
            }

            using (var fifth = await RawHttp1.ConnectAsync(port))
            {
                Assert.False(await AnswersAsync(fifth), "a fifth connection was answered");
            }


            // The metrics listener has its own budget.
            using (var metrics = await RawHttp1.ConnectAsync(worker.Service<WorkerListeners>().MetricsPort))
            {
                Assert.True(await AnswersAsync(metrics, "/metrics"), "the metrics port was starved");
            }

            foreach (var connection in held)
            {
                Assert.True(await AnswersAsync(connection), "a held connection stopped being answered");
            }

            // A closed connection frees its slot (once the server has seen the close).
            held[0].Dispose();
            held.RemoveAt(0);
            var answered = false;
            for (var attempt = 0; attempt < 100 && !answered; attempt++)
            {
                using var again = await RawHttp1.ConnectAsync(port);
                answered = await AnswersAsync(again);
                if (!answered)
                {
                    await Task.Delay(50);
                }
            }

            Assert.True(answered, "no new connection was taken after one of the four closed");
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }
    }

    /// <summary>
    /// A worker whose open-file limit is 2,048, and a client that holds 2,200 idle connections to its REST port, then sends
    /// a request on each: the worker closes the connections past its limit (derived from the open-file limit: a few
    /// hundred a listener), answers the ones it holds with 200 and nothing else, again and again, and, once the idle
    /// ones are gone, new ones. Without the limit it ran out of file descriptors: it closed held connections, answered
    /// 500, or aborted ("Out of memory.", exit 134).
    /// </summary>
    [Fact]
    public async Task Worker_LowOpenFileLimit_IdleConnectionFlood_StaysUpAndAnswers()
    {
        using var process = await ServingProcess.StartWithOpenFileLimitAsync(
            2048, "worker", "--models", RepoPaths.Models, "--bind", "127.0.0.1", "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--Serving:Worker:RepositoryPollInterval=00:00:00.200");
        var flood = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 2200; i++)
            {
                flood.Add(await RawHttp1.ConnectAsync(process.RestPort));
            }

            // Which connections the worker kept depends on the order it accepted them in (a flood overflows the accept
            // queue, and the kernel lets later ones in first), so every one is asked.
            var answers = new List<string>();
            foreach (var connection in flood)
            {
                answers.Add(await RawHttp1.StatusLineAsync(connection) ?? "closed");
            }

            Assert.True(process.IsRunning, "the worker died:\n" + process.Output);
            var tally = string.Join(", ", answers.GroupBy(a => a).Select(g => $"{g.Key} x{g.Count()}"));
            Assert.True(answers.All(a => a is "HTTP/1.1 200 OK" or "closed"), tally + "\n" + process.Output);
            var kept = flood.Where((_, i) => answers[i] == "HTTP/1.1 200 OK").ToList();
            Assert.True(kept.Count >= 100, tally + "\n" + process.Output);
            Assert.Contains("The worker's rest listener holds its limit of", process.Output, StringComparison.Ordinal);
            foreach (var connection in kept)
            {
                Assert.Equal("HTTP/1.1 200 OK", await RawHttp1.StatusLineAsync(connection));
            }
        }
        finally
        {
            flood.ForEach(c => c.Dispose());
        }

        var fresh = false;
        for (var attempt = 0; attempt < 100 && !fresh; attempt++)
        {
            using var connection = await RawHttp1.ConnectAsync(process.RestPort);
            fresh = await AnswersAsync(connection);
            if (!fresh)
            {
                await Task.Delay(50);
            }
        }

        Assert.True(fresh, "no new connection was answered after the flood:\n" + process.Output);
        Assert.True(process.IsRunning, "the worker died:\n" + process.Output);
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private static async Task<bool> AnswersAsync(TcpClient client, string path = "/v2/health/live") =>
        await RawHttp1.StatusLineAsync(client, path) == "HTTP/1.1 200 OK";
}
