using System.Collections.Concurrent;
using Serving.LoadTests.Targets;
using Serving.Worker.Batching;

namespace Serving.LoadTests.Generator;

/// <summary>
/// The open model (wrk2, NBomber's Inject): a dedicated thread releases requests on the arrival schedule
/// whether or not earlier ones answered, and each is measured from its intended send time, so a stalled
/// server shows up as latency instead of hiding as fewer requests (coordinated omission).
/// </summary>
internal sealed class OpenLoopDriver
{
    private readonly IInferClient _client;
    private readonly LoadProfile _profile;
    private readonly LoadMeasurement _measurement;
    private readonly RunControl _control;
    private readonly long _start;
    private readonly ConcurrentQueue<OpenLoopSlot> _free = new();
    private readonly List<OpenLoopSlot> _slots = [];

    private OpenLoopDriver(IInferClient client, LoadProfile profile, LoadMeasurement measurement, RunControl control, long start)
    {
        _client = client;
        _profile = profile;
        _measurement = measurement;
        _control = control;
        _start = start;
    }

    /// <summary>Runs the schedule from <paramref name="start"/> to its end, then waits for what is outstanding.</summary>
    public static Task RunAsync(IInferClient client, LoadProfile profile, LoadMeasurement measurement, RunControl control, long start) =>
        new OpenLoopDriver(client, profile, measurement, control, start).RunAsync();

    private async Task RunAsync()
    {
        var scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Schedule();
                scheduled.SetResult();
            }
            catch (Exception e)
            {
                scheduled.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "open-model scheduler",
        };
        thread.Start();
        await scheduled.Task;
        await DrainAsync();
    }

    private void Schedule()
    {
        ShortSleep.ReduceTimerSlack();
        var schedule = new ArrivalSchedule(_profile.Rate, _profile.RampTo, _profile.Warmup, _profile.Duration);
        var end = _start + Timestamps.FromTimeSpan(_profile.Warmup + _profile.Duration);
        var tick = Timestamps.FromTimeSpan(_profile.WakeInterval);
        var wokeAt = long.MinValue / 2;
        for (long i = 0; ; i++)
        {
            var offset = schedule.OffsetSeconds(i);
            var intended = double.IsFinite(offset) ? _start + Timestamps.FromSeconds(offset) : long.MaxValue;
            if (intended >= end)
            {
                break;
            }

            // Sleep until the request is due, but wake at most once per WakeInterval: what fell due meanwhile goes
            // out together. Never early; a late send only adds to the latency, measured from its own due time.
            // Behind schedule this returns at once and the backlog goes out in a burst.
            if (intended > Timestamps.Now)
            {
                PreciseSleep.Until(Math.Max(intended, wokeAt + tick), _control.StopIssuing);
                wokeAt = Timestamps.Now;
            }
            if (!_control.TryClaim(intended))
            {
                break;
            }

            if (TryRent(out var slot))
            {
                slot.Dispatch(intended);
            }
            else
            {
                _measurement.RecordNotSent(intended, CallOutcome.ClientSaturated);
            }
        }

        _control.Stop();
    }

    private bool TryRent(out OpenLoopSlot slot)
    {
        if (_free.TryDequeue(out slot!))
        {
            return true;
        }

        if (_slots.Count >= _profile.MaxInFlight)
        {
            return false;
        }

        slot = new OpenLoopSlot(_client.CreateCaller(_slots.Count), _measurement, _control, _free);
        _slots.Add(slot);
        return true;
    }

    private async Task DrainAsync()
    {
        // Every busy slot returns to the free queue when its call ends; the hard stop bounds how long that takes.
        while (_free.Count < _slots.Count)
        {
            await Task.Delay(5);
        }

        while (_free.TryDequeue(out var slot))
        {
            slot.Close();
        }

        await Task.WhenAll(_slots.Select(s => s.Loop));
    }
}
