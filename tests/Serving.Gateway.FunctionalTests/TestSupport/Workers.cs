using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Worker helpers for failure tests.</summary>
internal static class Workers
{
    /// <summary>
    /// Kills a worker the hard way: the host stops with an already-cancelled token, so Kestrel closes
    /// its listeners and aborts every open connection at once, in-flight requests included.
    /// </summary>
    public static Task KillAsync(WorkerServer worker) => worker.App.StopAsync(new CancellationToken(canceled: true));
}
