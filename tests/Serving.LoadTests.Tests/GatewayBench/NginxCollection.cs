namespace Serving.LoadTests.Tests.GatewayBench;

/// <summary>Tests that start nginx run one at a time: the end-to-end test checks that no nginx temp folder of this process is left behind.</summary>
[CollectionDefinition(Name)]
public sealed class NginxCollection
{
    public const string Name = "nginx";
}
