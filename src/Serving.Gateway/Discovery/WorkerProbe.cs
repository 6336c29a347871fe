using System.Text.Json;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Discovery;

/// <summary>Asks a worker, over its Open Inference Protocol REST port, whether it is ready, which versions it serves, and what they look like.</summary>
internal sealed class WorkerProbe(HttpClient http) : IDisposable
{
    /// <summary>The largest index or metadata answer read.</summary>
    private const int MaxAnswerBytes = 4 * 1024 * 1024;

    public void Dispose() => http.Dispose();

    /// <summary>
    /// The probes' client (a connection timeout of <paramref name="connectTimeout"/>, no proxy), which makes no span. A
    /// background probe carries a traceparent of its own that is not sampled, so a tracing worker records no trace for
    /// it (two a second per worker at the default interval, of nothing but noise); a call made for a caller's request
    /// (its model's config or statistics) carries that request's.
    /// </summary>
    public static HttpClient CreateClient(TimeSpan connectTimeout) =>
        new(new TraceparentHandler(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = connectTimeout, ActivityHeadersPropagator = null }))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>True when <c>GET /v2/health/ready</c> answers 200.</summary>
    public async Task<bool> IsReadyAsync(WorkerEndpoint worker, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(worker.RestPrefix + "/v2/health/ready", HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    /// <summary>Triton's repository index (<c>POST /v2/repository/index</c>): every version and its state.</summary>
    public async Task<IReadOnlyList<WorkerIndexEntry>> IndexAsync(WorkerEndpoint worker, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(worker.RestPrefix + "/v2/repository/index", null, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var doc = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        var entries = new List<WorkerIndexEntry>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            if (item.TryGetProperty("name", out var name) && item.TryGetProperty("version", out var version)
                && name.GetString() is { } n && version.GetString() is { } v)
            {
                var state = item.TryGetProperty("state", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                var reason = item.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                var ready = string.Equals(state, "READY", StringComparison.OrdinalIgnoreCase);
                entries.Add(new WorkerIndexEntry(n, v, ready, ready ? null : NotReadyBecause(n, v, state, reason)));
            }
        }

        return entries;
    }

    /// <summary>The longest reason kept from a worker's index; a longer one is cut, with an ellipsis.</summary>
    internal const int MaxReasonChars = 512;

    /// <summary>
    /// What a caller is told of a version a worker lists but does not serve: its state, and the worker's reason when it
    /// gave one, without the "model 'm' version v: " it begins with (every message it goes into names the version).
    /// </summary>
    internal static string NotReadyBecause(string model, string version, string? state, string? reason)
    {
        var why = string.IsNullOrWhiteSpace(state) ? "not READY" : state.Trim();
        if (!string.IsNullOrWhiteSpace(reason))
        {
            why += ": " + Serving.Protocol.Messages.ModelVersionText.WithoutName(reason.Trim(), model, version);
        }

        return why.Length <= MaxReasonChars ? why : string.Concat(why.AsSpan(0, MaxReasonChars - 1), "…");
    }

    /// <summary>A version's metadata (<c>GET /v2/models/{m}/versions/{v}</c>), or null when the worker has none to give.</summary>
    public async Task<ModelMetadataResponse?> MetadataAsync(WorkerEndpoint worker, string model, string version, CancellationToken cancellationToken)
    {
        var path = $"{worker.RestPrefix}/v2/models/{Uri.EscapeDataString(model)}/versions/{Uri.EscapeDataString(version)}";
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        using var doc = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        var root = doc.RootElement;
        var metadata = new ModelMetadataResponse
        {
            Name = model,
            Platform = root.TryGetProperty("platform", out var p) ? p.GetString() ?? "" : "",
        };
        metadata.Versions.Add(version);
        AddTensors(root, "inputs", metadata.Inputs);
        AddTensors(root, "outputs", metadata.Outputs);
        return metadata;
    }

    private static void AddTensors(JsonElement root, string property, Google.Protobuf.Collections.RepeatedField<ModelMetadataResponse.Types.TensorMetadata> into)
    {
        if (!root.TryGetProperty(property, out var tensors) || tensors.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var t in tensors.EnumerateArray())
        {
            var tensor = new ModelMetadataResponse.Types.TensorMetadata
            {
                Name = t.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "",
                Datatype = t.TryGetProperty("datatype", out var d) ? d.GetString() ?? "" : "",
            };
            if (t.TryGetProperty("shape", out var shape) && shape.ValueKind == JsonValueKind.Array)
            {
                foreach (var dim in shape.EnumerateArray())
                {
                    tensor.Shape.Add(dim.GetInt64());
                }
            }

            into.Add(tensor);
        }
    }

    /// <summary>
    /// A version's config (Triton's <c>GET /v2/models/{m}/versions/{v}/config</c>) as the worker wrote it: its status and
    /// JSON body, which must parse and stay under the answer limit.
    /// </summary>
    public async Task<(int Status, byte[] Json)> ConfigAsync(WorkerEndpoint worker, string model, string version, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"{worker.RestPrefix}/v2/models/{Uri.EscapeDataString(model)}/versions/{Uri.EscapeDataString(version)}/config", cancellationToken)
            .ConfigureAwait(false);
        using var doc = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        return ((int)response.StatusCode, JsonSerializer.SerializeToUtf8Bytes(doc.RootElement));
    }

    /// <summary>A worker's Triton statistics at <paramref name="path"/> (<c>/v2/models[/…]/stats</c>); null when it doesn't have them (404).</summary>
    public async Task<JsonDocument?> StatisticsAsync(WorkerEndpoint worker, string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(worker.RestPrefix + path, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxAnswerBytes)
        {
            throw new InvalidDataException("the worker's answer is too large");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class TraceparentHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var traceparent = System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C, Id: { } id }
                ? id
                : $"00-{System.Diagnostics.ActivityTraceId.CreateRandom()}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-00";
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
