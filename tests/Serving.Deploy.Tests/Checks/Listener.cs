namespace Serving.Deploy.Tests.Checks;

/// <summary>One port a role listens on: which options (component) and property set it, its number and bind address.</summary>
internal sealed record Listener(string Component, string Property, int Port, string Bind)
{
    public bool IsLoopbackOnly => Bind is "127.0.0.1" or "::1" or "localhost";

    public override string ToString() => $"{Component} {Property} {Port}";
}
