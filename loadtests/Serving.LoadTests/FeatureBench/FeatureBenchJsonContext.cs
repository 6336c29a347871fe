using System.Text.Json.Serialization;

namespace Serving.LoadTests.FeatureBench;

/// <summary>Source-generated JSON for the feature bench's report, in the same style as the other reports.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(FeatureBenchReport))]
internal sealed partial class FeatureBenchJsonContext : JsonSerializerContext;
