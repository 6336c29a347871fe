namespace Serving.Gateway.Rollback;

/// <summary><c>Serving:Gateway:Rollback</c>: how often the monitor looks at the windows (the settings themselves are per model, in the policy).</summary>
internal sealed class RollbackOptions
{
    public const string Section = "Serving:Gateway:Rollback";

    /// <summary>Time between two looks at every window; 1 s by default.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    public static bool IsValid(RollbackOptions options) => options.CheckInterval >= TimeSpan.FromMilliseconds(10) && options.CheckInterval <= TimeSpan.FromMinutes(1);
}
