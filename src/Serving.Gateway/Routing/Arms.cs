namespace Serving.Gateway.Routing;

/// <summary>How a request's version was chosen; sent to the worker as <c>x-serving-arm</c> (prediction logs) and used as a metric label.</summary>
internal static class Arms
{
    /// <summary>The request named the version (REST path or gRPC model_version).</summary>
    public const string Explicit = "explicit";

    /// <summary>The policy's pin header named the version.</summary>
    public const string Pin = "pin";

    /// <summary>The sticky key's bucket picked the version.</summary>
    public const string Sticky = "sticky";

    /// <summary>A random bucket picked the version by weight.</summary>
    public const string Weight = "weight";

    /// <summary>No policy: the newest ready version.</summary>
    public const string Default = "default";

    /// <summary>A shadow copy (its answer is discarded).</summary>
    public const string Shadow = "shadow";
}
