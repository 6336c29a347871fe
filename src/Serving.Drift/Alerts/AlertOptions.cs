namespace Serving.Drift.Alerts;

/// <summary>How drift alerts are raised and delivered (section <c>Serving:Drift:Alerts</c>).</summary>
public sealed class AlertOptions
{
    /// <summary>Verdicts in a row needed to start or stop an alert (hysteresis). Default 1.</summary>
    public int ConsecutiveVerdicts { get; set; } = 1;

    /// <summary>An http(s) URL that receives a JSON POST when a version starts or stops drifting; empty: log only.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Timeout of one webhook attempt. Default 5 s.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts per alert, the first included. Default 5.</summary>
    public int WebhookMaxAttempts { get; set; } = 5;

    /// <summary>Wait before the first retry; doubles per attempt up to <see cref="WebhookMaxRetryDelay"/>. Default 1 s.</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts. Default 30 s.</summary>
    public TimeSpan WebhookMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}
