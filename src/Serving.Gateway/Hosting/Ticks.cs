namespace Serving.Gateway.Hosting;

/// <summary>Background loops' pacing: false once the host stops, instead of an exception.</summary>
internal static class Ticks
{
    public static async ValueTask<bool> NextAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
