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
    /// The probes' client (a connection timeout of <paramref name="connectTimeout"/>, no proxy, no redirects: a worker's
    /// answer is about that worker, and one that sent the probe elsewhere was counted ready and serving the other
    /// worker's versions, and got their calls), which makes no span. A
    /// background probe carries a traceparent of its own that is not sampled, so a tracing worker records no trace for
    /// it (two a second per worker at the default interval, of nothing but noise); a call made for a caller's request
    /// (its model's config or statistics) carries that request's.
    /// </summary>
    public static HttpClient CreateClient(TimeSpan connectTimeout) =>
        new(new TraceparentHandler(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = connectTimeout, ActivityHeadersPropagator = null }))
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
        // Headers first, the body then read within MaxAnswerBytes: PostAsync buffered the whole body, up to 2 GB.
        using var request = new HttpRequestMessage(HttpMethod.Post, worker.RestPrefix + "/v2/repository/index");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
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
                    // GetInt64 throws FormatException for 1.5 or 1e400, which no caller took for a worker's fault: the
                    // round failed, and the first one, at start, stopped the gateway.
                    tensor.Shape.Add(dim.ValueKind == JsonValueKind.Number && dim.TryGetInt64(out var size)
                        ? size
                        : throw new InvalidDataException($"a dimension of tensor '{tensor.Name}' is not a whole number"));
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
        using var response = await http.GetAsync(
            $"{worker.RestPrefix}/v2/models/{Uri.EscapeDataString(model)}/versions/{Uri.EscapeDataString(version)}/config", HttpCompletionOption.ResponseHeadersRead, cancellationToken)
            .ConfigureAwait(false);
        using var doc = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        return ((int)response.StatusCode, JsonSerializer.SerializeToUtf8Bytes(doc.RootElement));
    }

    /// <summary>A worker's Triton statistics at <paramref name="path"/> (<c>/v2/models[/…]/stats</c>); null when it doesn't have them (404).</summary>
    public async Task<JsonDocument?> StatisticsAsync(WorkerEndpoint worker, string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(worker.RestPrefix + path, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// True for what a worker's answer can make a call here throw (no answer, a cut or refused connection, a status, a body
    /// that is not JSON, too large or of the wrong shape): the worker's fault, not the gateway's.
    /// </summary>
    public static bool IsWorkerFault(Exception e) =>
        e is HttpRequestException or IOException or OperationCanceledException or JsonException or InvalidDataException or InvalidOperationException;

    // The body is read in full up to MaxAnswerBytes, whether or not it gave its length: a chunked one was read to its
    // end, however long (tens of MB a probe, or without end until the probe timeout, at the speed of the network).
    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        const string TooLarge = "the worker's answer is too large (over 4 MiB)";
        if (response.Content.Headers.ContentLength > MaxAnswerBytes)
        {
            throw new InvalidDataException(TooLarge);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var body = new MemoryStream();
            var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int read;
                while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (body.Length + read > MaxAnswerBytes)
                    {
                        throw new InvalidDataException(TooLarge);
                    }

                    body.Write(chunk, 0, read);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
            }

            return JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
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
