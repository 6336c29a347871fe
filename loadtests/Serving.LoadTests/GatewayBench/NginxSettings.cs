namespace Serving.LoadTests.GatewayBench;

/// <summary>What the generated <c>nginx.conf</c> is made of.</summary>
/// <param name="Prefix">The folder nginx runs in (<c>-p</c>): pid file, error log and temp folders go there.</param>
/// <param name="GrpcPort">Where nginx listens for gRPC (HTTP/2 cleartext) on 127.0.0.1.</param>
/// <param name="RestPort">Where nginx listens for REST (HTTP/1.1) on 127.0.0.1.</param>
/// <param name="Worker">The worker's gRPC and REST roots (the upstreams).</param>
/// <param name="WorkerProcesses"><c>worker_processes</c>: <c>auto</c> or a number.</param>
internal sealed record NginxSettings(string Prefix, int GrpcPort, int RestPort, TargetAddresses Worker, string WorkerProcesses = "auto");
