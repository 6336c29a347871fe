using System.Text.Json;
using Serving.Protocol.Errors;
using Serving.Worker.Inference;
using Serving.Worker.Models;

namespace Serving.Worker.Endpoints;

/// <summary>
/// Triton's statistics extension (<c>GET /v2/models[/{m}[/versions/{v}]]/stats</c>): <c>{"model_stats": [...]}</c> for
/// every loaded version, every loaded version of one model, or one version.
/// </summary>
internal static class ModelStatisticsView
{
    public static void Write(Utf8JsonWriter w, ModelResolver resolver, ModelTable table, string? name, string? version)
    {
        var versions = new List<ModelVersion>();
        if (name is null)
        {
            foreach (var entry in table.Models.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                versions.AddRange(entry.Versions.Values.Where(v => v.Statistics is not null));
            }
        }
        else if (string.IsNullOrEmpty(version))
        {
            versions.AddRange(resolver.Entry(name).Versions.Values.Where(v => v.Statistics is not null));
        }
        else
        {
            var v = resolver.Version(name, version);
            versions.Add(v.Statistics is null
                ? throw InferenceException.Unavailable($"model '{v.Model}' version {v.VersionText} is not loaded ({v.ReasonAfterName ?? v.State.ToString().ToLowerInvariant()})")
                : v);
        }

        w.WriteStartObject();
        w.WriteStartArray("model_stats");
        foreach (var v in versions)
        {
            v.Statistics!.Write(w, v.Model, v.VersionText);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
