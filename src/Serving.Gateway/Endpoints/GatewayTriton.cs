using System.Text.Json;
using Serving.Gateway.Discovery;
using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;
using Serving.Hosting.Http;
using Serving.Protocol.Errors;

namespace Serving.Gateway.Endpoints;

/// <summary>
/// Triton's extensions at the gateway, the same for REST and gRPC: the repository index from the routing table, a
/// version's config from a healthy worker that has it, and statistics summed over the workers.
/// </summary>
internal sealed class GatewayTriton(RoutingState routing, TrafficPolicies policies, WorkerProbe probe, Microsoft.Extensions.Options.IOptions<Configuration.GatewayOptions> options)
{
    /// <summary>What a load or unload sent to the gateway is told.</summary>
    public const string ModelControlHere =
        "the gateway does not load or unload models: call each worker's /v2/repository/models/<model>/load|unload (or gRPC RepositoryModelLoad) with its admin token";

    /// <summary>Every version some worker reported READY: READY while a healthy worker has it, else UNAVAILABLE.</summary>
    public IEnumerable<RepositoryIndex.Entry> Index() =>
        routing.Table.Models.Values.OrderBy(m => m.Name, StringComparer.Ordinal).SelectMany(m => m.Ordered.Select(v => v.IsReady
            ? new RepositoryIndex.Entry(m.Name, v.Version, RepositoryIndex.Ready)
            : new RepositoryIndex.Entry(m.Name, v.Version, "UNAVAILABLE", "no healthy worker has this version ready")));

    /// <summary>The version's config as its worker wrote it (status and JSON), or an <see cref="InferenceException"/> for what the gateway knows.</summary>
    public async Task<(int Status, byte[] Json)> ConfigAsync(string model, string? version, CancellationToken cancellationToken)
    {
        var v = GatewayModelView.Described(routing.Table, policies, model, version);
        var worker = Array.Find(v.Workers, w => w.IsHealthy)
            ?? throw InferenceException.Unavailable($"model '{v.Model}' version {v.Version} has no healthy worker to describe it");
        using var timeout = WithinProbeTimeout(cancellationToken);
        try
        {
            return await probe.ConfigAsync(worker, v.Model, v.Version, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsWorkerFailure(e, cancellationToken))
        {
            throw new InferenceException(InferenceErrorCode.Unavailable, $"the worker did not describe model '{v.Model}' version {v.Version}: {Why(e)}", 502);
        }
    }

    /// <summary>
    /// Asks every healthy worker that serves what was asked for and adds the answers up. A worker that fails is left
    /// out; when every one fails the answer is UNAVAILABLE / 502.
    /// </summary>
    public async Task<StatisticsMerge> StatisticsAsync(string? model, string? version, CancellationToken cancellationToken)
    {
        var table = routing.Table;
        IEnumerable<WorkerEndpoint> workers = table.Workers;
        var path = "/v2/models/stats";
        if (!string.IsNullOrEmpty(model))
        {
            var m = GatewayModelView.Model(table, model);
            var versions = string.IsNullOrEmpty(version) ? m.Ordered : [GatewayModelView.Version(m, version)];
            workers = versions.SelectMany(v => v.Workers);
            path = string.IsNullOrEmpty(version)
                ? $"/v2/models/{Uri.EscapeDataString(m.Name)}/stats"
                : $"/v2/models/{Uri.EscapeDataString(m.Name)}/versions/{Uri.EscapeDataString(versions[0].Version)}/stats";
        }

        var asked = workers.Where(w => w.IsHealthy).Distinct().ToArray();
        var answers = await Task.WhenAll(asked.Select(w => AskAsync(w, path, cancellationToken))).ConfigureAwait(false);
        if (asked.Length > 0 && Array.TrueForAll(answers, a => a.Error is not null))
        {
            throw new InferenceException(InferenceErrorCode.Unavailable, $"no worker answered for its statistics: {answers[0].Error}", 502);
        }

        var merge = new StatisticsMerge();
        foreach (var (answer, _) in answers)
        {
            using (answer)
            {
                if (answer is not null)
                {
                    merge.Add(answer.RootElement);
                }
            }
        }

        return merge;
    }

    private async Task<(JsonDocument? Answer, string? Error)> AskAsync(WorkerEndpoint worker, string path, CancellationToken cancellationToken)
    {
        using var timeout = WithinProbeTimeout(cancellationToken);
        try
        {
            return (await probe.StatisticsAsync(worker, path, timeout.Token).ConfigureAwait(false), null);
        }
        catch (Exception e) when (IsWorkerFailure(e, cancellationToken))
        {
            return (null, $"{worker.Name}: {Why(e)}");
        }
    }

    // A worker's config or statistics answer is awaited for ProbeTimeout, as a probe is: one that never came (or
    // trickled without end) held the caller until it gave up.
    private CancellationTokenSource WithinProbeTimeout(CancellationToken cancellationToken)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.ProbeTimeout);
        return timeout;
    }

    private string Why(Exception e) => e is OperationCanceledException
        ? $"no answer within the probe timeout ({options.Value.ProbeTimeout.TotalSeconds:0.###} s)"
        : e.Message.TrimEnd('.');

    // The worker's fault (WorkerProbe.IsWorkerFault), but not the caller's own cancel.
    private static bool IsWorkerFailure(Exception e, CancellationToken cancellationToken) =>
        WorkerProbe.IsWorkerFault(e) && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);
}
