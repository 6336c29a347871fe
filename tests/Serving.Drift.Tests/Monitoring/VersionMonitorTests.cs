using Serving.Drift.Monitoring;
using Serving.Drift.Tests.TestSupport;
using Serving.Drift.Windows;

namespace Serving.Drift.Tests.Monitoring;

public sealed class VersionMonitorTests
{
    [Fact]
    public void Add_EveryNthRecord_AsksForAnEvaluation_WhileOneWaitsFurtherAsksCoalesce()
    {
        var monitor = new VersionMonitor(TestProfiles.TabularV1, new DriftWindowOptions { Capacity = 5 }, evaluateEvery: 3, consecutiveVerdicts: 1, TimeProvider.System);

        var due = Enumerable.Range(1, 7).Where(i => monitor.Add(Enumerable.Repeat((double)i, 30).ToArray(), i)).ToArray();

        // Record 3 asked; record 6 found that request still waiting.
        Assert.Equal([3], due);
        var request = monitor.TakeSnapshot();
        Assert.Equal(7, request.AtRecord);
        Assert.Equal([3.0, 4, 5, 6, 7], request.Window.Prediction.ToArray());

        // Once the evaluator took its snapshot, the next EveryRecords asks again.
        Assert.Equal([9], Enumerable.Range(8, 3).Where(i => monitor.Add(new double[30], i)).ToArray());
    }

    [Fact]
    public void Add_CountEvaluationOff_NeverDue()
    {
        var monitor = new VersionMonitor(TestProfiles.TabularV1, new DriftWindowOptions(), evaluateEvery: 0, consecutiveVerdicts: 1, TimeProvider.System);

        Assert.All(Enumerable.Range(0, 10), _ => Assert.False(monitor.Add(new double[30], 0)));
    }
}
