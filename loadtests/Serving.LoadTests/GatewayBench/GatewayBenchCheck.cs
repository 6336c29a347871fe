namespace Serving.LoadTests.GatewayBench;

/// <summary>One figure the issue sets a target for, with its verdict.</summary>
/// <param name="Name">e.g. <c>gateway ÷ direct throughput, c=64</c>.</param>
/// <param name="Protocol"><c>grpc</c> or <c>rest-json</c>.</param>
/// <param name="Value">The figure: a ratio, or milliseconds; null when a cell it needs has no figure.</param>
/// <param name="Unit"><c>×</c> or <c>ms</c>.</param>
/// <param name="AtLeast">True when the value must be at least <paramref name="Target"/>, false when at most.</param>
/// <param name="Target">The threshold.</param>
/// <param name="Detail">The figures it was computed from, or why it is missing.</param>
internal sealed record GatewayBenchCheck(string Name, string Protocol, double? Value, string Unit, bool AtLeast, double Target, string Detail)
{
    /// <summary>PASS, MISS, or n/a without a value.</summary>
    public string Verdict => Value switch
    {
        null => "n/a",
        { } v when Meets(v) => "PASS",
        _ => "MISS",
    };

    private bool Meets(double value) => AtLeast ? value >= Target : value <= Target;
}
