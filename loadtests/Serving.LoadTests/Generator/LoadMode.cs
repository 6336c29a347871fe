namespace Serving.LoadTests.Generator;

/// <summary>The load model, as NBomber names them.</summary>
internal enum LoadMode
{
    /// <summary>N callers, each sending its next request when the last one answered.</summary>
    Closed,

    /// <summary>Requests at a set arrival rate whatever the answers do; latency is measured from the intended send time.</summary>
    Open,
}
