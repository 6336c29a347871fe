namespace Serving.Gateway.Admin;

/// <summary>A version's automatic-rollback window on this gateway: what the next check will judge.</summary>
internal sealed class AdminWindowDocument
{
    public long Requests { get; set; }

    public long Errors { get; set; }

    public double ErrorRate { get; set; }

    public long Slow { get; set; }
}
