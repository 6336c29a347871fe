namespace Serving.LoadTests.Reporting;

/// <summary>How many calls ended one way.</summary>
/// <param name="Kind"><c>grpc</c>, <c>http</c>, <c>transport</c>, <c>client-saturated</c>, <c>cancelled-at-stop</c> or <c>client-error</c>.</param>
/// <param name="Status">The gRPC status name, HTTP code or transport error name.</param>
/// <param name="Count">The number of calls.</param>
/// <param name="FirstMessage">The first exception message of this kind, when the client saw one.</param>
internal sealed record OutcomeCount(string Kind, string Status, long Count, string? FirstMessage = null);
