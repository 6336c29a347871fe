namespace Serving.Gateway.Routing;

/// <summary>The REST error body.</summary>
internal sealed record ErrorBody(string Error);
