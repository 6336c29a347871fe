using System.Text.Json.Serialization;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Admin;

/// <summary>Source-generated JSON for the admin API (snake_case, indented for people).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(AdminModelsDocument))]
[JsonSerializable(typeof(AdminHistoryDocument))]
[JsonSerializable(typeof(TrafficPolicyDocument))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
