using Serving.Gateway.Discovery;
using Serving.Gateway.Routing;
using Serving.Gateway.Tests.TestSupport;

namespace Serving.Gateway.Tests.Routing;

/// <summary>
/// What the gateway tells a caller of a version its workers list but do not serve: the worker's reason without the name
/// of the version, which every message it goes into gives ("version 1 has no ready worker: UNAVAILABLE: model 'm' version 1: …"
/// named it twice).
/// </summary>
public sealed class NotServedReasonTests
{
    [Theory]
    [InlineData("UNAVAILABLE", "model 'm' version 1: bad file", "UNAVAILABLE: bad file")]
    [InlineData("UNAVAILABLE", "model 'm' version 2: bad file", "UNAVAILABLE: model 'm' version 2: bad file")]
    [InlineData("READY", "model 'm' version 1: reload failed", "READY: reload failed")]
    [InlineData("UNAVAILABLE", "unloaded", "UNAVAILABLE: unloaded")]
    [InlineData("LOADING", "", "LOADING")]
    [InlineData(" UNLOADING ", null, "UNLOADING")]
    [InlineData(null, "gone", "not READY: gone")]
    [InlineData("", null, "not READY")]
    public void NotReadyBecause_StateAndReason(string? state, string? reason, string expected) =>
        Assert.Equal(expected, WorkerProbe.NotReadyBecause("m", "1", state, reason));

    [Fact]
    public void NotReadyBecause_LongReason_CutWithAnEllipsis()
    {
        var why = WorkerProbe.NotReadyBecause("m", "1", "UNAVAILABLE", new string('x', 5000));

        Assert.Equal(WorkerProbe.MaxReasonChars, why.Length);
        Assert.EndsWith("x…", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_ListedReadyOnAnUnhealthyWorker_NoWorkersReasonGiven()
    {
        // A worker that lists it READY but fails its health checks: the index's reason of another worker is not the story.
        var version = new VersionRoute("m", "1", 1, [Routes.Worker(healthy: false)], null, "UNAVAILABLE: elsewhere");

        Assert.Null(version.NotServedBecause);
        Assert.Equal("model 'm' version 1 has no ready worker", version.NoReadyWorkerMessage());
    }

    [Fact]
    public void Model_NoReadyVersion_NewestReasonsFirst_AtMostThree()
    {
        var model = new ModelRoute("m", Enumerable.Range(1, 5).Select(v => new VersionRoute("m", $"{v}", v, [], null, v == 2 ? null : $"UNAVAILABLE: v{v}")));

        Assert.Equal(
            "model 'm' has no ready version (version 5: UNAVAILABLE: v5; version 4: UNAVAILABLE: v4; version 3: UNAVAILABLE: v3; …)",
            model.NoReadyVersionMessage(string.Empty));
    }

    [Fact]
    public void Model_NoReasonGiven_TheMessageAlone() =>
        Assert.Equal("model 'm' has no ready version to describe", Routes.Model("m", ready: [], notReady: ["1"]).NoReadyVersionMessage(" to describe"));
}
