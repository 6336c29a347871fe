using System.Text.Json.Serialization;

namespace Serving.Gateway.Traffic;

/// <summary>Source-generated JSON for policies and audit records (snake_case).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(TrafficPolicyDocument))]
[JsonSerializable(typeof(List<TrafficPolicyDocument>))]
[JsonSerializable(typeof(PolicyChangeDocument))]
internal sealed partial class TrafficJsonContext : JsonSerializerContext;
