using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Serving.Hosting.Http;
using Serving.Protocol.Inference;

namespace Serving.Worker.Endpoints;

/// <summary>
/// The parameters of Triton's load / unload: the REST body <c>{"parameters": {...}}</c> or the gRPC request's map. A config
/// override or uploaded files are refused instead of silently ignored; unload takes Triton's <c>unload_dependents</c>,
/// which its clients send with every unload (this worker has no ensembles, so nothing depends on a model: it changes nothing).
/// </summary>
internal static class ControlParameters
{
    public const string UnloadDependents = "unload_dependents";

    private const int MaxBytes = 64 * 1024;

    /// <summary>The refusal of one parameter, or null when <paramref name="load"/> or unload takes it.</summary>
    public static string? Check(bool load, string name, bool isBool) =>
        !load && name == UnloadDependents
            ? isBool ? null : $"'{UnloadDependents}' must be true or false"
            : load
                ? $"load takes no parameters, not '{name}': this worker loads the model's own folder in its repository (no config override, no uploaded files)"
                : $"unload takes only '{UnloadDependents}' (true or false), not '{name}'";

    /// <summary>The refusal of the first parameter of a gRPC request that load or unload does not take, or null.</summary>
    public static string? Check(bool load, IEnumerable<KeyValuePair<string, ModelRepositoryParameter>> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            if (Check(load, name, value.ParameterChoiceCase == ModelRepositoryParameter.ParameterChoiceOneofCase.BoolParam) is { } refused)
            {
                return refused;
            }
        }

        return null;
    }

    public static async Task<string?> ReadAsync(HttpRequest request, bool load, CancellationToken cancellationToken) =>
        await SmallBody.ReadAsync(request, MaxBytes, cancellationToken).ConfigureAwait(false) is { } body
            ? Parse(body, load)
            : $"the request body is over {MaxBytes / 1024} KiB; load and unload take no parameters";

    /// <summary>The refusal of a REST body, or null when it is empty or holds only parameters the call takes.</summary>
    internal static string? Parse(ReadOnlySpan<byte> body, bool load)
    {
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "the request body must be a JSON object";
            }

            if (!root.TryGetProperty("parameters", out var parameters) || parameters.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (parameters.ValueKind != JsonValueKind.Object)
            {
                return "'parameters' must be an object";
            }

            foreach (var parameter in parameters.EnumerateObject())
            {
                if (Check(load, parameter.Name, parameter.Value.ValueKind is JsonValueKind.True or JsonValueKind.False) is { } refused)
                {
                    return refused;
                }
            }

            return null;
        }
        catch (JsonException e)
        {
            return $"the request body is not valid JSON: {e.Message}";
        }
    }
}
