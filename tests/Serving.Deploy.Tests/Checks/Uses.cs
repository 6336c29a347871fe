namespace Serving.Deploy.Tests.Checks;

/// <summary>A path some manifest expects a listener to answer with 200 (a probe, a scrape, the image health check).</summary>
internal sealed record EndpointUse(string Source, string Component, string Property, string Path);

/// <summary>A model.yaml a manifest gives a worker, and the versions that worker should then serve (null: not stated).</summary>
internal sealed record ModelConfigUse(string Source, string Model, string Yaml, string? ExpectedVersion);

/// <summary>A call a manifest makes to the gateway's admin API (the starting traffic policy).</summary>
internal sealed record AdminCall(string Source, string Method, string Path, string Body);
