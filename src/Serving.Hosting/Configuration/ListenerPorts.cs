namespace Serving.Hosting.Configuration;

/// <summary>The check every role's options validator makes of its listeners' ports: no two on one port (0, any free port, aside).</summary>
public static class ListenerPorts
{
    /// <summary>One failure per port that two or more of <paramref name="ports"/> share, naming their keys in <paramref name="section"/>.</summary>
    public static IEnumerable<string> Clashes(string section, params (string Key, int Port)[] ports) =>
        ports.Where(p => p.Port != 0).GroupBy(p => p.Port).Where(g => g.Count() > 1)
            .Select(g => $"{section}:{string.Join(" and ", g.Select(p => p.Key))} are all {g.Key}: each listener needs its own port");
}
