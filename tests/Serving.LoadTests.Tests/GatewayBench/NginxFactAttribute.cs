using Serving.LoadTests.GatewayBench;

namespace Serving.LoadTests.Tests.GatewayBench;

/// <summary>A test that needs a real nginx: skipped, saying so and how to install it, when there is none.</summary>
public sealed class NginxFactAttribute : FactAttribute
{
    /// <summary>The nginx found on PATH or in the sbin folders; null when there is none.</summary>
    public static readonly string? Path = NginxBinary.Find(null, Environment.GetEnvironmentVariable("PATH"));

    public NginxFactAttribute()
    {
        if (Path is null)
        {
            Skip = "nginx is not installed on this machine, so this test cannot start it (apt-get install nginx)";
        }
    }
}
