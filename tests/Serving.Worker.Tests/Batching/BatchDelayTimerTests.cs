using System.Diagnostics;
using Serving.Worker.Batching;

namespace Serving.Worker.Tests.Batching;

/// <summary>The batch loops' timer: never early, earliest deadline first, and a signal a wake completed is left alone.</summary>
public sealed class BatchDelayTimerTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);

    private static TaskCompletionSource Signal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static long In(TimeSpan span) => Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency);

    [Fact]
    public async Task Schedule_SeveralDeadlines_EachCompletesNoSoonerThanItsOwn()
    {
        var timer = new BatchDelayTimer();
        var deadlines = new[] { 40, 5, 25, 1, 12, 3 }.Select(ms => In(TimeSpan.FromMilliseconds(ms))).ToArray();
        var completedAt = new long[deadlines.Length];

        // Synchronous continuations run on the timer's thread as it completes each signal: the stamp is the moment it fired.
        var stamped = new Task[deadlines.Length];
        for (var i = 0; i < deadlines.Length; i++)
        {
            var signal = new TaskCompletionSource();
            var index = i;
            stamped[i] = signal.Task.ContinueWith(_ => completedAt[index] = Stopwatch.GetTimestamp(), TaskContinuationOptions.ExecuteSynchronously);
            timer.Schedule(signal, deadlines[i]);
        }

        await Task.WhenAll(stamped).WaitAsync(Hang);

        for (var i = 0; i < deadlines.Length; i++)
        {
            Assert.True(completedAt[i] >= deadlines[i], $"signal {i} completed {Stopwatch.GetElapsedTime(completedAt[i], deadlines[i]).TotalMicroseconds:F0} µs before its deadline");
        }

        Assert.Equal(deadlines.Length, timer.Fired);
    }

    [Fact]
    public async Task Schedule_SoonerDeadlineAfterALaterOne_IsNotHeldBehindIt()
    {
        var timer = new BatchDelayTimer();
        var late = Signal();
        timer.Schedule(late, In(TimeSpan.FromMinutes(5)));
        Assert.True(SpinWait.SpinUntil(() => timer.DeadlineWaits > 0, Hang), "the timer thread never waited for the 5-minute deadline");

        var soon = Signal();
        timer.Schedule(soon, In(TimeSpan.FromMilliseconds(10)));

        await soon.Task.WaitAsync(Hang); // held behind the late one, this would time out
        Assert.False(late.Task.IsCompleted);
    }

    [Fact]
    public async Task Schedule_SignalAlreadyCompletedByAWake_IsLeftAloneAndTheTimerGoesOn()
    {
        var timer = new BatchDelayTimer();
        var woken = Signal();

        // A wake got there first. Completed before it is even scheduled, so the timer can't win the race on a slow
        // machine (completing it after Schedule lost to a 5 ms deadline once in CI); when it fires, it finds it completed
        // either way.
        woken.SetResult();
        timer.Schedule(woken, In(TimeSpan.FromMilliseconds(5)));

        var next = Signal();
        timer.Schedule(next, In(TimeSpan.FromMilliseconds(30)));

        await next.Task.WaitAsync(Hang);
        Assert.Equal(2, timer.Fired);
    }

    [Fact]
    public void Schedule_ManySignalsWokenFirst_HeapKeepsOnlyTheLiveOnes()
    {
        var timer = new BatchDelayTimer();
        var asleep = Signal();
        timer.Schedule(asleep, In(TimeSpan.FromMinutes(5)));

        // A long delay under steady arrivals: each wake completes the loop's signal, and it sleeps again on a new one.
        for (var i = 0; i < 10_000; i++)
        {
            var signal = Signal();
            timer.Schedule(signal, In(TimeSpan.FromMinutes(5)));
            signal.SetResult();
        }

        Assert.InRange(timer.Pending, 1, 1024);
        Assert.False(asleep.Task.IsCompleted);
    }
}
