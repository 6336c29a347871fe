using Microsoft.AspNetCore.Builder;

namespace Serving.Commands;

/// <summary>
/// Runs several role hosts in one process (<c>serving up</c>): starts them in order, each one able
/// to use what the earlier ones bound, prints where each listens, and stops them in reverse order.
/// </summary>
internal static class SystemRunner
{
    /// <summary>One role: how to build it (given the roles already started), how to describe its listeners, and how its ports are set.</summary>
    public sealed record Role(string Name, Func<IReadOnlyList<WebApplication>, WebApplication> Build, Func<WebApplication, string> Describe, StartupErrors.PortHint Ports);

    public static async Task<int> RunAsync(IReadOnlyList<Role> roles, CancellationToken cancellationToken)
    {
        var started = new List<WebApplication>();
        var starting = roles[0];
        try
        {
            foreach (var role in roles)
            {
                starting = role;
                var app = role.Build(started);
                started.Add(app);
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (StartupErrors.Describe(e, starting.Ports) is { } message)
        {
            await Console.Error.WriteLineAsync($"serving up: {message}").ConfigureAwait(false);
            await StopAsync(started).ConfigureAwait(false);
            return 2;
        }

        for (var i = 0; i < roles.Count; i++)
        {
            Console.WriteLine($"serving up: {roles[i].Name,-7} {roles[i].Describe(started[i])}");
        }

        // The front host sees SIGTERM/Ctrl+C (the others run with Serving:Shutdown:StopOnSignal off); its ending means the
        // system is going down, and the rest stop after it, last started first.
        // WaitForShutdownAsync stops the front host itself: stopping it again ran its shutdown twice (its readiness grace
        // period too, and its "Shutting down" line, four of them for three roles).
        var front = started[^1];
        await front.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
        await front.DisposeAsync().ConfigureAwait(false);
        started.RemoveAt(started.Count - 1);
        await StopAsync(started).ConfigureAwait(false);
        return 0;
    }

    private static async Task StopAsync(List<WebApplication> started)
    {
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].StopAsync().ConfigureAwait(false);
            await started[i].DisposeAsync().ConfigureAwait(false);
        }
    }
}
