namespace Serving.Gateway.Shadow;

/// <summary>What became of a shadow copy (the <c>result</c> label of <c>serving_gateway_shadow_requests_total</c>).</summary>
internal static class ShadowResults
{
    public const string Agree = "agree";
    public const string Disagree = "disagree";
    public const string ShadowError = "shadow_error";
    public const string Timeout = "timeout";
    public const string PrimaryError = "primary_error";
    public const string TooLarge = "too_large";
    public const string NoWorker = "no_worker";
    public const string Dropped = "dropped";
}
