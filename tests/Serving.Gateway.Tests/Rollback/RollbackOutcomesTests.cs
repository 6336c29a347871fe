using Serving.Gateway.Rollback;
using Serving.Gateway.Tests.TestSupport;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Rollback;

public sealed class RollbackOutcomesTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Record_RotatesAcrossSeconds_WithTheClock()
    {
        var outcomes = Tracked(Policy(1, ("1", 90), ("2", 10)));
        for (var second = 0; second < 8; second++)
        {
            outcomes.Record("m", "2", RequestOutcome.Failed, 0.001);
            outcomes.Record("m", "2", RequestOutcome.Ok, 0.001);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // The clock is at second 8: the 5 s window holds seconds 4..8, of which 4..7 have two requests each.
        Assert.Equal(new OutcomeCounts(8, 4, 0), outcomes.Counts("m", "2"));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(new OutcomeCounts(8, 4, 0), outcomes.Counts("m", "2"));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new OutcomeCounts(6, 3, 0), outcomes.Counts("m", "2"));
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(default, outcomes.Counts("m", "2"));
    }

    [Fact]
    public void Record_IgnoredOutcomes_UntrackedModelsAndVersionsWithoutWeight_NotCounted()
    {
        var outcomes = Tracked(Policy(1, ("1", 100), ("2", 0)));

        outcomes.Record("m", "1", RequestOutcome.Ignored, 0.001);
        outcomes.Record("m", "2", RequestOutcome.Failed, 0.001);
        outcomes.Record("other", "1", RequestOutcome.Failed, 0.001);

        Assert.Equal(default, outcomes.Counts("m", "1"));
        Assert.Equal(default, outcomes.Counts("m", "2"));
        Assert.Null(outcomes.Find("other"));
    }

    [Fact]
    public void RecordUnready_PolicysPickWithoutHealthyWorker_CountedFailed_CallersOwnChoiceNot()
    {
        var spec = Policy(1, ("1", 90), ("2", 10));
        var outcomes = Tracked(spec);
        var policy = outcomes.Find("m")!.Policy;

        outcomes.RecordUnready("m", new Gateway.Routing.VersionChoice(null, Gateway.Routing.Arms.Weight, false, null, "2"), policy);
        outcomes.RecordUnready("m", new Gateway.Routing.VersionChoice(null, Gateway.Routing.Arms.Sticky, false, null, "2"), policy);
        outcomes.RecordUnready("m", new Gateway.Routing.VersionChoice(null, Gateway.Routing.Arms.Pin, false, null, "2"), policy);
        outcomes.RecordUnready("m", new Gateway.Routing.VersionChoice(null, Gateway.Routing.Arms.Weight, false, null, null), policy);

        Assert.Equal(new OutcomeCounts(2, 2, 0), outcomes.Counts("m", "2"));
    }

    [Fact]
    public void Record_SlowerThanMaxP99_CountedSlow()
    {
        var outcomes = Tracked(Policy(1, ("1", 90), ("2", 10)) with { MaxP99Ms = 100 });

        outcomes.Record("m", "2", RequestOutcome.Ok, 0.099);
        outcomes.Record("m", "2", RequestOutcome.Ok, 0.101);

        Assert.Equal(new OutcomeCounts(2, 0, 1), outcomes.Counts("m", "2"));
    }

    [Fact]
    public void Record_DoesNotAllocate()
    {
        var outcomes = Tracked(Policy(1, ("1", 90), ("2", 10)));
        outcomes.Record("m", "2", RequestOutcome.Failed, 0.001);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            outcomes.Record("m", i % 2 == 0 ? "1" : "2", i % 3 == 0 ? RequestOutcome.Failed : RequestOutcome.Ok, 0.001);
            _time.Advance(TimeSpan.FromMilliseconds(7));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Record_CallersDeadlineShorterThanTheBaselineNeeds_Excused_OneTheBaselineMeets_Failed()
    {
        var outcomes = Tracked(Policy(1, ("1", 90), ("2", 10)));
        for (var i = 0; i < 100; i++)
        {
            outcomes.Record("m", "1", RequestOutcome.Ok, 0.020); // the baseline answers in 20 ms
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        var need = outcomes.Find("m")!.Need(outcomes.Now);
        Assert.InRange(need.TotalSeconds, 0.020, 0.020 * Math.Sqrt(2));

        Assert.True(outcomes.Record("m", "2", RequestOutcome.Failed, 0.000_01, callerBudget: TimeSpan.FromMicroseconds(1)));
        Assert.True(outcomes.Record("m", "2", RequestOutcome.Failed, 0.010, callerBudget: TimeSpan.FromMilliseconds(10)));
        Assert.Equal(default, outcomes.Counts("m", "2"));

        // A budget the baseline meets: the canary's expiry is its own slowness.
        Assert.False(outcomes.Record("m", "2", RequestOutcome.Failed, 0.100, callerBudget: TimeSpan.FromMilliseconds(100)));
        // No budget: not the caller's deadline (the model's default timeout, a 5xx).
        Assert.False(outcomes.Record("m", "2", RequestOutcome.Failed, 0.001));
        Assert.Equal(new OutcomeCounts(2, 2, 0), outcomes.Counts("m", "2"));
    }

    [Fact]
    public void Record_CallersDeadline_BaselineWithoutAnswers_TheFloorIsWhatItNeeds()
    {
        var outcomes = Tracked(Policy(1, ("1", 90), ("2", 10)));
        outcomes.Record("m", "1", RequestOutcome.Failed, 0.5); // not an answer

        Assert.Equal(ModelOutcomes.BaselineFloor, outcomes.Find("m")!.Need(outcomes.Now));
        Assert.True(outcomes.Record("m", "2", RequestOutcome.Failed, 0.001, callerBudget: ModelOutcomes.BaselineFloor - TimeSpan.FromMicroseconds(1)));
        Assert.False(outcomes.Record("m", "2", RequestOutcome.Failed, 0.001, callerBudget: ModelOutcomes.BaselineFloor));
        Assert.Equal(new OutcomeCounts(1, 1, 0), outcomes.Counts("m", "2"));
    }

    [Fact]
    public void Track_BaselineChanges_TheNewBaselinesWindowKeepsLatencies()
    {
        var outcomes = Tracked(Policy(1, ("1", 50), ("2", 50)));
        outcomes.Record("m", "2", RequestOutcome.Ok, 0.200);

        outcomes.Track([(Policy(2, ("1", 50), ("2", 50)) with { Baseline = "2" }).Build()]);
        outcomes.Record("m", "2", RequestOutcome.Ok, 0.200);
        outcomes.Record("m", "1", RequestOutcome.Ok, 0.001);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.InRange(outcomes.Find("m")!.Need(outcomes.Now).TotalSeconds, 0.200, 0.200 * Math.Sqrt(2));
    }

    [Fact]
    public void Track_WeightChange_KeepsTheWindow()
    {
        var outcomes = Tracked(Policy(1, ("1", 90), ("2", 10)));
        outcomes.Record("m", "2", RequestOutcome.Failed, 0.001);

        outcomes.Track([Policy(2, ("1", 80), ("2", 20)).Build()]);

        Assert.Equal(new OutcomeCounts(1, 1, 0), outcomes.Counts("m", "2"));
    }

    [Fact]
    public void Track_VersionBackFromWeightZero_StartsClean()
    {
        var outcomes = Tracked(Policy(1, ("1", 90), ("2", 10)));
        outcomes.Record("m", "2", RequestOutcome.Failed, 0.001);

        outcomes.Track([Policy(2, ("1", 100), ("2", 0)).Build()]);
        outcomes.Track([Policy(3, ("1", 90), ("2", 10)).Build()]);

        Assert.Equal(default, outcomes.Counts("m", "2"));
    }

    [Fact]
    public void Track_NewWindowLength_StartsClean_RollbackRemoved_Untracked()
    {
        var outcomes = Tracked(Policy(1, ("1", 90), ("2", 10)));
        outcomes.Record("m", "2", RequestOutcome.Failed, 0.001);

        outcomes.Track([(Policy(2, ("1", 90), ("2", 10)) with { WindowSeconds = 30 }).Build()]);
        Assert.Equal(default, outcomes.Counts("m", "2"));
        Assert.Equal(30, outcomes.Find("m")!.Settings.WindowSeconds);

        outcomes.Track([new TrafficPolicy("m", [new("1", 90), new("2", 10)], null, null, null, 3, DateTimeOffset.UnixEpoch, "t")]);
        Assert.Null(outcomes.Find("m"));
    }

    [Fact]
    public void Record_RoutedByARevisionBeforeTheVersionCameBack_NotCounted_CarriedOverWindowsCountIt()
    {
        var outcomes = Tracked(Policy(1, ("1", 90), ("2", 10)));
        outcomes.Track([Policy(2, ("1", 100), ("2", 0)).Build()]);
        outcomes.Track([Policy(3, ("1", 80), ("2", 20)).Build()]);
        outcomes.Track([Policy(4, ("1", 70), ("2", 30)).Build()]);

        // Routed by revision 1 (before version 2 went to weight 0 and came back at 3): not in its new window.
        outcomes.Record("m", "2", RequestOutcome.Failed, 0.001, routedBy: 1);
        Assert.Equal(default, outcomes.Counts("m", "2"));

        // Routed by 3 or 4 (the window carried over to 4): counted; version 1 kept its window all along, so 1 counts there.
        outcomes.Record("m", "2", RequestOutcome.Failed, 0.001, routedBy: 3);
        outcomes.Record("m", "2", RequestOutcome.Ok, 0.001, routedBy: 4);
        outcomes.Record("m", "1", RequestOutcome.Ok, 0.001, routedBy: 1);
        Assert.Equal((new OutcomeCounts(2, 1, 0), new OutcomeCounts(1, 0, 0)), (outcomes.Counts("m", "2"), outcomes.Counts("m", "1")));

        // The store went back to an older revision (restored from a snapshot): the windows kept count its requests.
        outcomes.Track([Policy(2, ("1", 70), ("2", 30)).Build()]);
        outcomes.Record("m", "2", RequestOutcome.Ok, 0.001, routedBy: 2);
        Assert.Equal(new OutcomeCounts(3, 1, 0), outcomes.Counts("m", "2"));
    }

    private RollbackOutcomes Tracked(PolicySpec spec)
    {
        var outcomes = new RollbackOutcomes(_time);
        outcomes.Track([spec.Build()]);
        return outcomes;
    }

    private static PolicySpec Policy(long revision, params (string Version, int Weight)[] weights) =>
        new(revision, weights, MaxP99Ms: 0, WindowSeconds: 5);

    private sealed record PolicySpec(long Revision, (string Version, int Weight)[] Weights, int MaxP99Ms, int WindowSeconds, string Baseline = "1")
    {
        public TrafficPolicy Build() => new(
            "m", Weights.Select(w => new VersionWeight(w.Version, w.Weight)), null, null, null, Revision, DateTimeOffset.UnixEpoch, "t",
            new RollbackPolicy(Baseline, 0.05, MaxP99Ms, 10, WindowSeconds));
    }
}
