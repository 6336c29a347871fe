using System.Text.Json.Serialization;
using Serving.LoadTests.Baselines.RawOrt;
using Serving.LoadTests.Bench;
using Serving.LoadTests.H2Load;

namespace Serving.LoadTests.Reporting;

/// <summary>Source-generated JSON for the reports: snake_case like the protocol, indented for people, nulls left out.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LoadReport))]
[JsonSerializable(typeof(RawOrtReport))]
[JsonSerializable(typeof(H2LoadComparison))]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
