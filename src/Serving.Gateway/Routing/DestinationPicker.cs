using Serving.Gateway.Discovery;

namespace Serving.Gateway.Routing;

/// <summary>Power of two choices (YARP's default) among a version's healthy workers: two at random, the one with fewer requests in flight.</summary>
internal static class DestinationPicker
{
    public static WorkerEndpoint? Pick(WorkerEndpoint[] workers, WorkerEndpoint? excluded = null)
    {
        var count = 0;
        foreach (var w in workers)
        {
            if (w != excluded && w.IsHealthy)
            {
                count++;
            }
        }

        if (count <= 1)
        {
            return count == 0 ? null : Nth(workers, excluded, 0);
        }

        var a = Random.Shared.Next(count);
        var b = Random.Shared.Next(count - 1);
        if (b >= a)
        {
            b++;
        }

        // Health may change between the count and the walk; fall back to whichever is still there.
        var first = Nth(workers, excluded, a);
        var second = Nth(workers, excluded, b);
        return first is null || (second is not null && second.InFlight < first.InFlight) ? second : first;
    }

    private static WorkerEndpoint? Nth(WorkerEndpoint[] workers, WorkerEndpoint? excluded, int n)
    {
        foreach (var w in workers)
        {
            if (w != excluded && w.IsHealthy && n-- == 0)
            {
                return w;
            }
        }

        return null;
    }
}
