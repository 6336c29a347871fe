namespace Serving.Worker.Features;

/// <summary>Where entity features live. One call fetches every key a batch needs.</summary>
internal interface IFeatureStore
{
    /// <summary>
    /// Fetches <paramref name="fields"/> of each key: <c>result[i]</c> is null when key i is not in
    /// the store, and a value is NaN when that field is missing or not a number.
    /// </summary>
    Task<double[]?[]> FetchAsync(string[] keys, string[] fields, CancellationToken cancellationToken);

    /// <summary>A short name for metrics and logs: <c>redis</c> or <c>memory</c>.</summary>
    string Kind { get; }

    /// <summary>
    /// Connects and prepares before the first lookup (called while the model version loads, before it is ready), so the
    /// first batch doesn't pay for it. Never throws: a store that is down is the breaker's business.
    /// </summary>
    void WarmUp()
    {
    }
}
