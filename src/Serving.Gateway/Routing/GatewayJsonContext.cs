using System.Text.Json.Serialization;

namespace Serving.Gateway.Routing;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ErrorBody))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
