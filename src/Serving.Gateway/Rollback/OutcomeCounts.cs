namespace Serving.Gateway.Rollback;

/// <summary>A version's outcomes over a window: answered or failed requests, how many failed, how many were slow.</summary>
internal readonly record struct OutcomeCounts(long Requests, long Errors, long Slow)
{
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;

    public double SlowShare => Requests == 0 ? 0 : (double)Slow / Requests;
}
