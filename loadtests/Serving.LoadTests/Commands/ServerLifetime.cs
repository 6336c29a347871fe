using Serving.LoadTests.Baselines.Hosting;

namespace Serving.LoadTests.Commands;

/// <summary>Keeps a baseline server running until Ctrl+C, then stops it.</summary>
internal static class ServerLifetime
{
    /// <summary>Prints the addresses, waits for cancellation, stops the server.</summary>
    public static async Task<int> RunUntilCancelledAsync(BaselineServer server, string name, CancellationToken cancellationToken)
    {
        await using (server)
        {
            Console.WriteLine($"{name} listening: gRPC/h2c {server.Http2Address}  REST/HTTP/1.1 {server.Http1Address}  (Ctrl+C to stop)");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: the normal way to stop.
            }
        }

        return 0;
    }
}
