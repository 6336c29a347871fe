using Grpc.Core;

namespace Serving.LoadTests.Commands;

/// <summary>Turns the errors a user can fix into one line on stderr and an exit code, instead of a stack trace.</summary>
internal static class CommandGuard
{
    /// <summary>Runs <paramref name="action"/>: <see cref="ExitCodes.Usage"/> for a usage error, <see cref="ExitCodes.Failure"/> for a target or server error, <see cref="ExitCodes.Interrupted"/> when interrupted.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (LoadTestException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return e.IsUsage ? ExitCodes.Usage : ExitCodes.Failure;
        }
        catch (RpcException e)
        {
            await Console.Error.WriteLineAsync($"error: gRPC {e.StatusCode}: {e.Status.Detail}");
            return ExitCodes.Failure;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // A baseline server's --port or --http1-port taken: Kestrel's "Failed to bind to address …: address already in use."
            await Console.Error.WriteLineAsync($"error: could not listen: {e.Message.TrimEnd('.')}. Another server may hold it: stop it, or give --port (and --http1-port) free ports (0 = any free port)");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("interrupted");
            return ExitCodes.Interrupted;
        }
    }
}
