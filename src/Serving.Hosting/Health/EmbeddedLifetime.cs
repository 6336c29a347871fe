using Microsoft.Extensions.Hosting;

namespace Serving.Hosting.Health;

/// <summary>
/// The lifetime of a role another process part stops (<see cref="ShutdownOptions.StopOnSignal"/> off): it registers no
/// signal handler, so SIGTERM leaves it running until the embedding code calls StopAsync, in its own order.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
