namespace Serving.LoadTests.GatewayBench;

/// <summary>How nginx took part: its version and config, or why it did not.</summary>
/// <param name="Version">e.g. <c>nginx/1.22.1</c>; null when nginx was not found.</param>
/// <param name="WorkerProcesses">The <c>worker_processes</c> it ran with.</param>
/// <param name="Config">The generated <c>nginx.conf</c>; null when nginx did not start.</param>
/// <param name="Skipped">Why the nginx cells were skipped (not installed); null when they ran.</param>
/// <param name="Error">Why nginx failed to start; null when it started.</param>
internal sealed record NginxRun(string? Version, string WorkerProcesses, string? Config, string? Skipped, string? Error);
