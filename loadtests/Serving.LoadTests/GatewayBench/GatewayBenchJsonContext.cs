using System.Text.Json.Serialization;

namespace Serving.LoadTests.GatewayBench;

/// <summary>Source-generated JSON for <see cref="GatewayBenchReport"/>, in the same style as the other reports (snake_case, indented, nulls left out).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GatewayBenchReport))]
internal sealed partial class GatewayBenchJsonContext : JsonSerializerContext;
