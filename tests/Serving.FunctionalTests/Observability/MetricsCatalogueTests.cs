using System.Diagnostics.Tracing;
using System.Net;
using System.Text.Json;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Observability;

/// <summary>docs/metrics.md against the code, both ways: what each role exports after real traffic, and what its source declares.</summary>
public sealed class MetricsCatalogueTests
{
    private static readonly string[] Roles = ["worker", "gateway", "drift"];

    [Fact]
    public void Catalogue_EveryRowWellFormed()
    {
        var catalogue = MetricsCatalogue.Load();

        Assert.Equal(Roles.Order(StringComparer.Ordinal), catalogue.Series.Select(s => s.Role).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(catalogue.Series.Count, catalogue.Series.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.All(catalogue.Series, s =>
        {
            Assert.Matches("^serving_[a-z0-9_]+$", s.Name);
            Assert.Contains(s.Type, new[] { "counter", "gauge", "histogram" });
            Assert.Contains(s.Appears, new[] { "start", "traffic", "event" });
            Assert.Equal(s.Type == "counter", s.Name.EndsWith("_total", StringComparison.Ordinal));
        });
        Assert.NotEmpty(catalogue.DefaultPrefixes);
    }

    [Fact]
    public void Catalogue_MatchesTheSeriesEachRolesSourceDeclares()
    {
        var catalogue = MetricsCatalogue.Load();
        var declared = SourceDeclarations.Read();

        // Every row (event-only ones included) is declared, with its type, in its role's project...
        foreach (var row in catalogue.Series)
        {
            var declaration = declared.Where(d => d.Name == row.Name).ToArray();
            Assert.True(declaration.Length == 1, $"{row.Name}: declared {declaration.Length} times in src/Serving.{{Worker,Gateway,Drift}}");
            Assert.True(declaration[0].Role == row.Role, $"{row.Name} is catalogued for the {row.Role} but declared in {declaration[0].File}");
            Assert.True(declaration[0].Type == row.Type, $"{row.Name} is catalogued as a {row.Type} but {declaration[0].File} creates a {declaration[0].Type}");
        }

        // ...and everything declared (or merely named) in src is catalogued.
        var uncatalogued = declared.Select(d => d.Name).Concat(SourceDeclarations.Literals()).Where(n => catalogue.Find(n) is null).Distinct().ToArray();
        Assert.True(uncatalogued.Length == 0, "not in docs/metrics.md: " + string.Join(", ", uncatalogued));
    }

    [Fact]
    public async Task EveryRole_AfterRealTraffic_ExportsItsCatalogue_AndNothingUncatalogued()
    {
        var catalogue = MetricsCatalogue.Load();
        await using var system = await ObservedSystem.StartAsync();
        await SendTrafficAsync(system);

        var scrapes = new Dictionary<string, ScrapedFamilies>();
        var missing = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            // Records reach the monitor and its evaluations run a little after the requests: scrape until all is there.
            scrapes["worker"] = await ScrapedFamilies.ScrapeAsync(system.WorkerMetrics);
            scrapes["gateway"] = await ScrapedFamilies.ScrapeAsync(system.Gateway.Metrics);
            scrapes["drift"] = await ScrapedFamilies.ScrapeAsync(system.DriftRest);
            // A labelled family with no series yet is exported as HELP/TYPE only: present means at least one sample.
            missing = [.. catalogue.Series.Where(s => !s.AfterEventOnly && scrapes[s.Role][s.Name] is not { Samples: > 0 }).Select(s => $"{s.Role}: {s.Name}")];
            if (missing.Count == 0 || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(missing.Count == 0, "catalogued but not exported: " + string.Join(", ", missing));

        // The meter adapter is on (the runtime's meter is there) but skips what is measured per request. It starts at
        // a registry's first scrape, so scrape once more: the scrapes above are requests measured after it started.
        foreach (var (role, client) in new[] { ("worker", system.WorkerMetrics), ("gateway", system.Gateway.Metrics), ("drift", system.DriftRest) })
        {
            scrapes[role] = await ScrapedFamilies.ScrapeAsync(client);
        }

        Assert.Contains(scrapes["worker"].Families, f => f.Name.StartsWith("system_runtime_", StringComparison.Ordinal));
        // Its event counter adapter listens to the runtime's event source, below Informational, and to no source that
        // counts requests: hosting, Kestrel and HttpClient would keep their counters per request once listened to.
        var sources = EventSource.GetSources().ToList();
        var runtime = Assert.Single(sources, s => s.Name == "System.Runtime");
        Assert.True(runtime.IsEnabled(), "the event counter adapter is not listening to the runtime's event source");
        Assert.False(runtime.IsEnabled(EventLevel.Informational, EventKeywords.All), "the runtime's Informational events are enabled");
        foreach (var name in new[] { "Microsoft-AspNetCore-Server-Kestrel", "Microsoft.AspNetCore.Hosting", "System.Net.Http" })
        {
            var source = Assert.Single(sources, s => s.Name == name);
            Assert.False(source.IsEnabled(), $"{name}'s event source is listened to: it counts every request");
        }

        string[] perRequest = ["http_server_request_duration", "http_server_active_requests", "routing_match_attempts", "kestrel_queued_requests", "memory_pool_rented", "http_client_request_duration"];
        foreach (var role in Roles)
        {
            var exported = scrapes[role].Families.Select(f => f.Name).Where(n => perRequest.Any(p => n.Contains(p, StringComparison.Ordinal))).ToList();
            Assert.True(exported.Count == 0, $"{role} exports per-request meter instruments: {string.Join(", ", exported)}");
        }
        foreach (var role in Roles)
        {
            foreach (var row in catalogue.Series.Where(s => s.Role == role && !s.AfterEventOnly))
            {
                AssertMatches(row, scrapes[role][row.Name]!);
            }

            foreach (var family in scrapes[role].Families)
            {
                if (family.Name.StartsWith("serving_", StringComparison.Ordinal))
                {
                    var row = catalogue.Find(family.Name);
                    Assert.True(row is not null, $"{role} exports {family.Name}, which docs/metrics.md does not list");
                    AssertMatches(row, family);
                }
                else
                {
                    Assert.True(catalogue.IsDefault(family.Name), $"{role} exports {family.Name}, under none of the runtime prefixes in docs/metrics.md");
                }
            }
        }
    }

    private static void AssertMatches(CataloguedSeries row, ScrapedFamily family)
    {
        Assert.True(row.Type == family.Type, $"{row.Name}: catalogued {row.Type}, exported {family.Type}");
        if (family.Samples > 0)
        {
            Assert.True(row.Labels.SequenceEqual(family.Labels), $"{row.Name}: catalogued labels [{string.Join(", ", row.Labels)}], exported [{string.Join(", ", family.Labels)}]");
        }

        if (row.Type == "histogram")
        {
            foreach (var part in new[] { "_bucket", "_sum", "_count" })
            {
                Assert.True(family.SampleNames.Contains(row.Name + part), $"{row.Name}: no {row.Name + part} samples");
            }
        }
    }

    /// <summary>Traffic that touches every family: versioned and weighted REST, gRPC, entity form (hit, miss, unknown id), shadow copies, refusals.</summary>
    private static async Task SendTrafficAsync(ObservedSystem system)
    {
        var golden = GoldenFile.Load("tabular", "1");
        var (status, body) = await system.InferAsync("/v2/models/tabular/versions/1/infer", golden.RequestBody());
        Assert.True(status == HttpStatusCode.OK, body);

        // Weighted traffic with every request copied to version 2 (a different model: the copies disagree).
        await system.SetPolicyAsync("""{"weights": {"1": 100, "2": 0}, "shadow": {"version": "2", "percent": 100}}""");
        (status, body) = await system.InferAsync("/v2/models/tabular/infer", golden.RequestBody());
        Assert.True(status == HttpStatusCode.OK, body);

        var grpc = new ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange(golden.InputShape);
        input.Contents.Fp32Contents.AddRange(golden.Input);
        grpc.Inputs.Add(input);
        await system.Gateway.Grpc.ModelInferAsync(grpc);

        // Entity form: a known id (miss, then a near-cache hit) and an id the store doesn't have (defaulted row).
        var known = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Models, "tabular", "features.csv")).Split('\n')[1].Split(',')[0]).RootElement.GetInt64();
        foreach (var ids in new[] { $"{known}, 99999", $"{known}" })
        {
            (status, body) = await system.InferAsync(
                "/v2/models/tabular/versions/1/infer", $$"""{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[{{ids.Split(',').Length}}],"data":[{{ids}}]}]}""");
            Assert.True(status == HttpStatusCode.OK, body);
        }

        // Refusals: a bad input (the worker's 400) and a model no worker serves (the gateway's 404).
        (status, _) = await system.InferAsync("/v2/models/tabular/versions/1/infer", """{"inputs":[{"name":"nope","datatype":"FP32","shape":[1,30],"data":[0]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _) = await system.InferAsync("/v2/models/no-such-model/infer", golden.RequestBody());
        Assert.Equal(HttpStatusCode.NotFound, status);
    }
}
