using System.Text.Json.Serialization;

namespace Serving.LoadTests.DriftBench;

/// <summary>Source-generated JSON for the drift bench report: snake_case, indented, nulls left out.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DriftBenchReport))]
internal sealed partial class DriftBenchJsonContext : JsonSerializerContext;
