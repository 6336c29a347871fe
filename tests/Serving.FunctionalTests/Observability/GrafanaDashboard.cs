using System.Text.Json;
using Serving.Testing;

namespace Serving.FunctionalTests.Observability;

/// <summary>A Grafana dashboard's queries: every panel target's <c>expr</c> and every query variable's query.</summary>
internal sealed class GrafanaDashboard
{
    private GrafanaDashboard(IReadOnlyList<DashboardQuery> queries, IReadOnlyList<string> variables)
    {
        Queries = queries;
        Variables = variables;
    }

    public static string DocumentPath => Path.Combine(RepoPaths.Root, "deploy", "grafana", "serving-dashboard.json");

    public IReadOnlyList<DashboardQuery> Queries { get; }

    public IReadOnlyList<string> Variables { get; }

    public static GrafanaDashboard Load() => Parse(File.ReadAllText(DocumentPath));

    public static GrafanaDashboard Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var queries = new List<DashboardQuery>();
        foreach (var panel in Panels(root.GetProperty("panels")))
        {
            var title = panel.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";
            if (panel.TryGetProperty("targets", out var targets))
            {
                queries.AddRange(targets.EnumerateArray().Select(target => new DashboardQuery(title, target.GetProperty("expr").GetString()!)));
            }
        }

        var variables = new List<string>();
        foreach (var variable in root.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            variables.Add(variable.GetProperty("name").GetString()!);
            if (variable.GetProperty("type").GetString() == "query")
            {
                var query = variable.GetProperty("query");
                var text = query.ValueKind == JsonValueKind.Object ? query.GetProperty("query").GetString()! : query.GetString()!;
                queries.Add(new DashboardQuery("variable " + variables[^1], text));
            }
        }

        return new GrafanaDashboard(queries, variables);
    }

    /// <summary>The metric names queried that the catalogue doesn't know, with the panel that queries each.</summary>
    public IReadOnlyList<string> UnknownNames(MetricsCatalogue catalogue) =>
        [.. Queries.SelectMany(q => PromQlNames.Of(q.Expression).Where(n => !catalogue.Knows(n)).Select(n => $"{n} (panel '{q.Panel}')"))];

    /// <summary>Every metric name the dashboard queries.</summary>
    public IReadOnlySet<string> Names() => Queries.SelectMany(q => PromQlNames.Of(q.Expression)).ToHashSet(StringComparer.Ordinal);

    // Rows may nest their panels when collapsed.
    private static IEnumerable<JsonElement> Panels(JsonElement panels)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in Panels(nested))
                {
                    yield return inner;
                }
            }
        }
    }
}

/// <summary>One query of the dashboard.</summary>
internal sealed record DashboardQuery(string Panel, string Expression);
