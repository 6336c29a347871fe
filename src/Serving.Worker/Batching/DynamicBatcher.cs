using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;
using Serving.Worker.Features;
using Serving.Worker.Metrics;
using Serving.Worker.Runtime;

namespace Serving.Worker.Batching;

/// <summary>
/// One model version's dynamic batcher: a bounded queue (full → refused at once), deadlines and
/// cancellations that take a request out of the queue, and <c>instances</c> loops that each form
/// a batch with <see cref="BatchPlanner"/>, run it once and hand every request its rows. With no
/// queue delay, a request that carries its inputs (not the entity form, whose features a loop looks
/// up) and finds the queue empty and an instance idle runs at once on its own thread (the batch of
/// one the planner would send anyway), without the hand-off to a loop and back; such runs count
/// against <c>instances</c> like the loops' batches.
/// <para>
/// With an arrival gap (<c>arrival_gap_us</c>), a partial batch stops waiting once no request has arrived for the
/// gap, and a wait that gained no request (a lone caller) lets the next <see cref="NoWaitBatchesAfterIdleWait"/>
/// batches go as with no delay, inline runs included; the next wait after them checks again. Under load the
/// batches fill; a lone caller pays the gap once in that many requests.
/// </para>
/// <para>
/// An arrival wakes a sleeping loop only when the queue was empty or the batch may go now (full, a preferred size,
/// a shape change, the delay over): a loop waiting out a delay has its own deadline, so arrivals that only join its
/// batch cost no wake. A request taken out (cancelled, expired) wakes one when what is left may go now.
/// </para>
/// </summary>
internal sealed partial class DynamicBatcher : IDisposable
{
    private readonly LinkedList<BatchItem> _queue = new();
    private readonly Lock _lock = new();
    private readonly IModelRunner _runner;
    private readonly BatchSettings _settings;
    private readonly BatchingMetrics.Series _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _instances;

    /// <summary>Batches whose feature lookups may be in flight per model instance (model runs stay at <c>instances</c>).</summary>
    public const int LookupsPerInstance = 4;

    private readonly SemaphoreSlim? _modelRuns;

    private int _lookupsInFlight;

    /// <summary>Batches waiting on the feature store right now.</summary>
    public int LookupsInFlight => Volatile.Read(ref _lookupsInFlight);

    /// <summary>
    /// Loops asleep until there is work, each on its own signal; guarded by <see cref="_lock"/>. A wake goes to one of
    /// them, so an arrival costs one loop's hop, not one per idle loop (a model with a feature store has several).
    /// </summary>
    private readonly List<TaskCompletionSource> _sleepers = [];

    private long _loopWakes;

    private readonly FeatureLookup? _features;

    private readonly InferenceStatistics? _statistics;

    /// <summary>Without a feature lookup the loops are the instances: each counts itself in <see cref="_running"/>, as do inline runs.</summary>
    private readonly bool _capped;

    /// <summary>With no queue delay, a request with its inputs that finds an idle instance and an empty queue runs at once on its own thread.</summary>
    private readonly bool _inlineWhenIdle;

    /// <summary>Model runs in progress (loops and inline runs), at most <c>instances</c>; guarded by <see cref="_lock"/>.</summary>
    private int _running;

    private long _inlineRuns;

    /// <summary>Batches that go without waiting after a wait that gained no request, with an arrival gap.</summary>
    public const int NoWaitBatchesAfterIdleWait = 15;

    /// <summary>The settings have an arrival gap: waits end early when arrivals stop, and are skipped after an idle one.</summary>
    private readonly bool _arrivalGap;

    /// <summary>When the last request was queued (<see cref="Stopwatch"/> ticks); guarded by <see cref="_lock"/>.</summary>
    private long _lastArrivalAt = long.MinValue;

    /// <summary>With an arrival gap: batches (and inline runs) still to go without waiting; guarded by <see cref="_lock"/>.</summary>
    private int _noWaitBatches;

    private long _idleWaits;

    [ThreadStatic]
    private static List<BatchItem>? t_inlineBatch;

    /// <summary>Times the requests' deadlines while they wait (the system's clock; a test's may be late, as a busy thread pool's is).</summary>
    private readonly TimeProvider _deadlineTimers;

    public DynamicBatcher(
        IModelRunner runner, BatchSettings settings, BatchingMetrics.Series metrics, ILogger logger, FeatureLookup? features = null, InferenceStatistics? statistics = null,
        TimeProvider? deadlineTimers = null)
    {
        _deadlineTimers = deadlineTimers ?? TimeProvider.System;
        _features = features;
        _statistics = statistics;
        _runner = runner;
        _settings = settings;
        _metrics = metrics;
        _logger = logger;
        // A batch that waits on the feature store doesn't hold a model instance: more loops take and look up
        // batches than may run the model at once, so the next batch's lookup overlaps this one's run and lookup.
        _modelRuns = features is null ? null : new SemaphoreSlim(settings.Instances, settings.Instances);
        _capped = features is null;
        _arrivalGap = settings.ArrivalGapTicks > 0 && settings.MaxQueueDelayTicks > 0;
        _inlineWhenIdle = settings.MaxQueueDelayTicks == 0 || _arrivalGap;
        _instances = new Task[settings.Instances * (features is null ? 1 : LookupsPerInstance)];
        for (var i = 0; i < _instances.Length; i++)
        {
            _instances[i] = Task.Run(RunInstanceAsync);
        }
    }

    private long _executions;

    /// <summary>A batch loop's first list capacity; it grows with the batches it takes.</summary>
    private const int InitialBatchCapacity = 64;

    public BatchSettings Settings => _settings;

    /// <summary>Batches this batcher has run (model runs).</summary>
    public long Executions => Interlocked.Read(ref _executions);

    /// <summary>Requests that found the queue empty and an instance idle, and ran at once on the caller's thread.</summary>
    public long InlineRuns => Interlocked.Read(ref _inlineRuns);

    /// <summary>With an arrival gap: waits that ended with no other request arrived (each turns waits off for a while).</summary>
    public long IdleWaits
    {
        get
        {
            lock (_lock)
            {
                return _idleWaits;
            }
        }
    }

    /// <summary>Completes when every batch loop has ended (after <see cref="Dispose"/>, once the queue is served).</summary>
    public Task Stopped => Task.WhenAll(_instances);

    /// <summary>Loops asleep waiting for work right now.</summary>
    public int SleepingLoops
    {
        get
        {
            lock (_lock)
            {
                return _sleepers.Count;
            }
        }
    }

    /// <summary>Sleeping loops woken by arrivals and finished runs (at most one per wake).</summary>
    public long LoopWakes
    {
        get
        {
            lock (_lock)
            {
                return _loopWakes;
            }
        }
    }

    public int QueueLength
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// Queues a request; <paramref name="deadline"/> is a <see cref="Stopwatch"/> timestamp, <see cref="CallerDeadline.NotGiven"/>
    /// (the model's default timeout applies) or <see cref="CallerDeadline.Unbounded"/> (none, whatever the default).
    /// </summary>
    public Task<BatchResult> EnqueueAsync(
        InferTensor[] inputs, string[] outputNames, long deadline, CancellationToken cancellationToken, FeatureItem? features = null)
    {
        var now = Stopwatch.GetTimestamp();
        if (deadline == CallerDeadline.NotGiven && _settings.DefaultTimeoutTicks > 0)
        {
            deadline = now + _settings.DefaultTimeoutTicks;
        }
        else if (deadline == CallerDeadline.Unbounded)
        {
            deadline = long.MaxValue; // the caller's own "none": no default, and from here on no deadline
        }

        var item = new BatchItem(inputs, outputNames, now, deadline, features);
        if (_inlineWhenIdle && features is null && !cancellationToken.IsCancellationRequested && (deadline == long.MaxValue || now < deadline) && TryClaimIdleInstance())
        {
            return RunInline(item);
        }

        // Registrations exist before the item is visible to the batch loops: a loop may take, run and
        // release it at once. A callback that fires before it is queued finds no node and does nothing;
        // the checks after queueing catch that case.
        if (deadline != long.MaxValue)
        {
            var wait = Stopwatch.GetElapsedTime(now, deadline);
            item.TimeoutSource = new CancellationTokenSource(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _deadlineTimers);
            item.Timeout = item.TimeoutSource.Token.Register(static state =>
            {
                var (batcher, queued) = ((DynamicBatcher, BatchItem))state!;
                batcher.Remove(queued, cancelled: false);
            }, (this, item));
        }

        if (cancellationToken.CanBeCanceled)
        {
            item.Cancellation = cancellationToken.Register(static state =>
            {
                var (batcher, queued) = ((DynamicBatcher, BatchItem))state!;
                batcher.Remove(queued, cancelled: true);
            }, (this, item));
        }

        bool unloading, full;
        lock (_lock)
        {
            unloading = _stop.IsCancellationRequested;
            full = _queue.Count >= _settings.MaxQueueSize;
            if (!unloading && !full)
            {
                var wasEmpty = _queue.Count == 0;
                item.Node = _queue.AddLast(item);
                _lastArrivalAt = now;
                _metrics.Depth.Inc(); // added and taken away, not set: a reload's two instances of the version share the series
                if (wasEmpty || MayGoNowLocked(now))
                {
                    WakeLocked();
                }
            }
        }

        if (unloading || full)
        {
            // Outside the lock: disposing a registration waits for its callback, which takes the lock.
            Release(item);
            if (unloading)
            {
                throw InferenceException.Unavailable("the model version is unloading");
            }

            _metrics.Rejected.Inc();
            throw new InferenceException(InferenceErrorCode.ResourceExhausted, $"the queue is full ({_settings.MaxQueueSize} requests waiting); retry later");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            Remove(item, cancelled: true);
        }
        else if (deadline != long.MaxValue && Stopwatch.GetTimestamp() >= deadline)
        {
            Remove(item, cancelled: false);
        }

        return item.Completion.Task;
    }

    /// <summary>
    /// Whether a loop woken now would take a batch: an instance is free and the plan sends. A loop that sleeps while
    /// the queue holds requests has a deadline for them, so an arrival that changes nothing needs no wake.
    /// </summary>
    private bool MayGoNowLocked(long now) =>
        (!_capped || _running < _settings.Instances) && BatchPlanner.Plan(_queue, _settings, now, _lastArrivalAt, NoWaitLocked).Take > 0;

    private bool NoWaitLocked => _arrivalGap && _noWaitBatches > 0;

    /// <summary>
    /// A caller that goes away this close to its deadline, or after it, left because of it: a client cancels the call at its
    /// own deadline, by a clock that started before the worker's (the call was sent, received and decoded meanwhile), and
    /// grpc-dotnet cancels the call's token at the deadline, often before the queue's timer fires. Such a request expired.
    /// </summary>
    private static readonly long CancelledAtDeadline = Stopwatch.Frequency / 100;

    /// <summary>Takes a request out of the queue if it is still there (cancelled by the caller, or past its deadline).</summary>
    private void Remove(BatchItem item, bool cancelled)
    {
        lock (_lock)
        {
            if (item.Node is null)
            {
                return; // already taken into a batch: it runs and answers normally
            }

            _queue.Remove(item.Node);
            item.Node = null;
            _metrics.Depth.Dec();
            if (_queue.Count > 0 && MayGoNowLocked(Stopwatch.GetTimestamp()))
            {
                WakeLocked(); // what is left may go now (a preferred size, the head's delay over): the loop sleeps until its deadline
            }
        }

        Release(item);
        if (cancelled && (item.DeadlineAt == long.MaxValue || Stopwatch.GetTimestamp() < item.DeadlineAt - CancelledAtDeadline))
        {
            _metrics.Cancelled.Inc();
            item.CancelLater();
        }
        else
        {
            _metrics.Expired.Inc();
            item.FailLater(new InferenceException(InferenceErrorCode.DeadlineExceeded, "the request's deadline passed while it waited in the queue"));
        }
    }

    private static void Release(BatchItem item)
    {
        item.Cancellation.Dispose();
        item.Timeout.Dispose();
        item.TimeoutSource?.Dispose();
    }

    /// <summary>
    /// Takes an instance for a request that would otherwise be queued and taken straight away by an idle loop (the
    /// queue is empty and the delay is 0, so the planner would send it alone at once): the same batch, without
    /// the two thread-pool hops to the loop and back. With a feature store the instances are the model-run
    /// semaphore's, and one is free only while no looked-up batch waits for it.
    /// </summary>
    private bool TryClaimIdleInstance()
    {
        lock (_lock)
        {
            if (_stop.IsCancellationRequested || _queue.Count > 0 || (_arrivalGap && _noWaitBatches == 0))
            {
                return false; // with an arrival gap and waits on, the request queues and waits for company
            }

            if (_modelRuns is not null ? !_modelRuns.Wait(0) : _running >= _settings.Instances)
            {
                return false;
            }

            if (_modelRuns is null)
            {
                _running++;
            }

            if (_arrivalGap)
            {
                _noWaitBatches--;
            }

            return true;
        }
    }

    private Task<BatchResult> RunInline(BatchItem item)
    {
        var batch = t_inlineBatch ??= new List<BatchItem>(1);
        batch.Add(item);
        try
        {
            // An item with its inputs needs no lookup and the instance is held: nothing in ExecuteAsync awaits, so
            // the batch has run when it returns (and, with a feature store, released the model-run semaphore).
            var run = ExecuteAsync(batch, instanceHeld: true);
            if (run.IsFaulted)
            {
                item.Hold(new InferenceException(InferenceErrorCode.Internal, "the model failed to run this batch"));
            }
        }
        finally
        {
            batch.Clear();
            if (_capped)
            {
                ReleaseInstance();
            }

            item.Deliver();
        }

        Interlocked.Increment(ref _inlineRuns);
        return item.Completion.Task;
    }

    private void ReleaseInstance()
    {
        lock (_lock)
        {
            _running--;
            if (_queue.Count > 0)
            {
                WakeLocked(); // a loop that found every instance busy takes the queue now
            }
        }
    }

    /// <summary>Wakes the loop that went to sleep last, if one sleeps: it takes the lock and looks at the queue again.</summary>
    private void WakeLocked()
    {
        if (_sleepers.Count > 0)
        {
            var last = _sleepers[^1];
            _sleepers.RemoveAt(_sleepers.Count - 1);
            _loopWakes++;
            last.TrySetResult();
        }
    }

    /// <summary>Lists a new signal for the calling loop, which awaits it after leaving the lock.</summary>
    private TaskCompletionSource SleepLocked()
    {
        var sleeper = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sleepers.Add(sleeper);
        return sleeper;
    }

    private async Task RunInstanceAsync()
    {
        // Grows to the largest batch taken; max_batch_size may be any whole number (a list of that capacity, per loop,
        // took 400 MB at 50,000,000 and failed the loop at 2147483647, leaving the queue unserved).
        var batch = new List<BatchItem>(Math.Min(_settings.MaxBatchSize, InitialBatchCapacity));
        var expired = new List<BatchItem>();
        while (true)
        {
            batch.Clear();
            if (!await TakeBatchAsync(batch, expired).ConfigureAwait(false))
            {
                return;
            }

            try
            {
                await ExecuteAsync(batch).ConfigureAwait(false);
            }
            finally
            {
                if (_capped)
                {
                    ReleaseInstance();
                }

                // The instance is free first: the answers' continuations, run here, may start the next batch inline.
                foreach (var item in batch)
                {
                    item.Deliver();
                }
            }
        }
    }

    private async Task<bool> TakeBatchAsync(List<BatchItem> batch, List<BatchItem> expired)
    {
        TaskCompletionSource? sleeper = null;
        while (true)
        {
            long waitUntil = 0;
            bool? taken = null; // true: a batch to run; false: stopped, the queue served
            lock (_lock)
            {
                if (sleeper is not null)
                {
                    _sleepers.Remove(sleeper); // still listed when its wait ended by the clock, not by a wake
                }

                sleeper = null;
                var instanceFree = !_capped || _running < _settings.Instances;
                if (_queue.Count > 0 && instanceFree)
                {
                    TakeExpiredLocked(Stopwatch.GetTimestamp(), expired);
                }

                if (_queue.Count == 0)
                {
                    if (_stop.IsCancellationRequested)
                    {
                        taken = false;
                    }
                    else
                    {
                        sleeper = SleepLocked();
                        waitUntil = long.MaxValue;
                    }
                }
                else if (!instanceFree)
                {
                    // Every instance is running a request inline: wait for one to finish (it wakes a loop).
                    sleeper = SleepLocked();
                    waitUntil = long.MinValue;
                }
                else
                {
                    var now = Stopwatch.GetTimestamp();
                    var plan = BatchPlanner.Plan(_queue, _settings, now, _lastArrivalAt, NoWaitLocked);
                    if (plan.Take > 0)
                    {
                        if (_arrivalGap)
                        {
                            NoteWaitLocked(plan.Take, now);
                        }

                        for (var i = 0; i < plan.Take; i++)
                        {
                            var item = _queue.First!.Value;
                            _queue.RemoveFirst();
                            item.Node = null;
                            batch.Add(item);
                        }

                        _metrics.Depth.Dec(plan.Take);
                        if (_capped)
                        {
                            _running++;
                        }

                        if (_queue.Count > 0 && (!_capped || _running < _settings.Instances))
                        {
                            WakeLocked(); // the rest needs a loop of its own: arrivals that don't complete it wake none
                        }

                        taken = true;
                    }
                    else
                    {
                        sleeper = SleepLocked();
                        waitUntil = plan.WaitUntil;
                    }
                }
            }

            if (expired.Count > 0)
            {
                Expire(expired); // outside the lock: their timers' callbacks take it
            }

            if (taken is { } took)
            {
                return took;
            }

            if (waitUntil is long.MinValue or long.MaxValue)
            {
                await sleeper!.Task.ConfigureAwait(false); // a wake, or Dispose waking every loop
            }
            else if (waitUntil > Stopwatch.GetTimestamp())
            {
                // A wake, or the clock at the oldest request's delay (.NET's own timers would end milliseconds late).
                BatchDelayTimer.Shared.Schedule(sleeper!, waitUntil);
                await sleeper!.Task.ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Takes out of the queue, into <paramref name="expired"/>, the requests a batch formed now could take whose deadline has
    /// passed: they must not run. Each one's own timer takes it out too, but .NET's timers fire late (a millisecond and
    /// more, far more on a busy thread pool), and a batch that goes in between would run it and answer it after its deadline.
    /// </summary>
    private void TakeExpiredLocked(long now, List<BatchItem> expired)
    {
        var rows = 0;
        var node = _queue.First;
        while (node is not null && rows < _settings.MaxBatchSize)
        {
            var next = node.Next;
            var item = node.Value;
            if (item.DeadlineAt != long.MaxValue && now >= item.DeadlineAt)
            {
                _queue.Remove(node);
                item.Node = null;
                expired.Add(item);
            }
            else
            {
                rows += item.Rows;
            }

            node = next;
        }

        if (expired.Count > 0)
        {
            _metrics.Depth.Dec(expired.Count);
        }
    }

    /// <summary>Answers the requests <see cref="TakeExpiredLocked"/> took out, outside the lock (their timers' callbacks take it).</summary>
    private void Expire(List<BatchItem> expired)
    {
        foreach (var item in expired)
        {
            Release(item);
            _metrics.Expired.Inc();
            item.FailLater(new InferenceException(InferenceErrorCode.DeadlineExceeded, "the request's deadline passed while it waited in the queue"));
        }

        expired.Clear();
    }

    /// <summary>
    /// Counts a batch against the no-wait run after an idle wait, or starts such a run: the head went alone, nothing else
    /// queued, after waiting at least the gap (or the delay, when that is shorter), so waiting gained nothing (a lone
    /// caller) and the next batches don't wait.
    /// </summary>
    private void NoteWaitLocked(int take, long now)
    {
        if (_noWaitBatches > 0)
        {
            _noWaitBatches--;
            return;
        }

        var head = _queue.First!.Value;
        var waited = Math.Min(_settings.ArrivalGapTicks, _settings.MaxQueueDelayTicks);
        if (take == 1 && _queue.Count == 1 && head.Rows < _settings.MaxBatchSize && now - head.EnqueuedAt >= waited)
        {
            _idleWaits++;
            _noWaitBatches = NoWaitBatchesAfterIdleWait;
        }
    }

    /// <summary>Runs a batch; <paramref name="instanceHeld"/>: the caller already holds a model run (an inline run with a feature store).</summary>
    private async Task ExecuteAsync(List<BatchItem> batch, bool instanceHeld = false)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var item in batch)
        {
            Release(item);
            _metrics.QueueDuration.Observe(Stopwatch.GetElapsedTime(item.EnqueuedAt, started).TotalSeconds);
            _statistics?.Queued(started - item.EnqueuedAt);
        }

        var featuresDone = 0L;
        if (_features is not null && batch.Exists(i => i.Features is not null))
        {
            Interlocked.Increment(ref _lookupsInFlight);
            try
            {
                await FillFeaturesAsync(batch).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _lookupsInFlight);
            }

            featuresDone = Stopwatch.GetTimestamp();
            if (batch.Count == 0)
            {
                return;
            }
        }

        var rows = 0;
        foreach (var item in batch)
        {
            rows += item.Rows;
        }

        if (_modelRuns is not null && !instanceHeld)
        {
            await _modelRuns.WaitAsync().ConfigureAwait(false);
        }

        // The compute histogram starts here: the feature lookup and the wait for a model run are not compute.
        var computeStarted = Stopwatch.GetTimestamp();
        try
        {
            if (batch.Count == 1)
            {
                // A batch of one runs on the request's own tensors: no copy at all.
                var only = batch[0];
                var runStarted = Stopwatch.GetTimestamp();
                var outputs = _runner.Run(only.Inputs, only.OutputNames);
                _statistics?.Executed(rows, 0, Stopwatch.GetTimestamp() - runStarted, 0);
                only.Hold(new BatchResult(outputs, null, Timings(only, started, featuresDone, 1, rows)));
            }
            else
            {
                var copyStarted = Stopwatch.GetTimestamp();
                var inputs = BatchAssembler.Concatenate(batch, rows);
                var runStarted = Stopwatch.GetTimestamp();
                List<InferTensor> outputs;
                try
                {
                    outputs = _runner.Run(inputs, OutputNames(batch));
                }
                finally
                {
                    foreach (var input in inputs)
                    {
                        input.Dispose();
                    }
                }

                var sliceStarted = Stopwatch.GetTimestamp();
                var results = BatchAssembler.Slice(outputs, batch, rows);
                _statistics?.Executed(rows, runStarted - copyStarted, sliceStarted - runStarted, Stopwatch.GetTimestamp() - sliceStarted);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Hold(results[i] with { Timings = Timings(batch[i], started, featuresDone, batch.Count, rows) });
                }
            }
        }
        catch (Exception e)
        {
            var error = e as InferenceException ?? new InferenceException(InferenceErrorCode.Internal, "the model failed to run this batch");
            if (e is not InferenceException)
            {
                Log.BatchFailed(_logger, batch.Count, e);
            }

            foreach (var item in batch)
            {
                item.Hold(error);
            }
        }
        finally
        {
            _modelRuns?.Release();
        }

        Interlocked.Increment(ref _executions);
        _metrics.Executions.Inc();
        _metrics.Size.Observe(rows);
        _metrics.ComputeDuration.Observe(Stopwatch.GetElapsedTime(computeStarted).TotalSeconds);
    }

    private static BatchTimings Timings(BatchItem item, long started, long featuresDone, int requests, int rows) =>
        new(item.EnqueuedAt, started, featuresDone, Stopwatch.GetTimestamp(), requests, rows);

    /// <summary>
    /// One store call for every entity-form request in the batch, waited on no longer than the latest of their deadlines;
    /// items the lookup refuses leave the batch with their error, and so does every item whose deadline passed meanwhile
    /// (504 / DEADLINE_EXCEEDED: it would not run before its deadline, as one still queued would not).
    /// </summary>
    private async Task FillFeaturesAsync(List<BatchItem> batch)
    {
        // The entity-form items and the latest of their deadlines, in one walk of the batch.
        List<FeatureItem>? pending = null;
        var latest = long.MinValue;
        foreach (var item in batch)
        {
            if (item.Features is { } features)
            {
                (pending ??= new List<FeatureItem>(batch.Count)).Add(features);
                latest = Math.Max(latest, item.DeadlineAt);
            }
        }

        if (pending is null)
        {
            return;
        }

        var filled = await _features!.FillAsync(pending, latest).ConfigureAwait(false);
        var now = Stopwatch.GetTimestamp();
        for (var i = batch.Count - 1; i >= 0; i--)
        {
            if ((!filled && batch[i].Features is not null) || (batch[i].DeadlineAt != long.MaxValue && now >= batch[i].DeadlineAt))
            {
                _metrics.Expired.Inc();
                batch[i].FailLater(new InferenceException(InferenceErrorCode.DeadlineExceeded, "the request's deadline passed while its batch's features were looked up"));
                batch.RemoveAt(i);
            }
            else if (batch[i].Features is { } f)
            {
                if (f.Error is { } error)
                {
                    batch[i].FailLater(error);
                    batch.RemoveAt(i);
                }
                else
                {
                    batch[i].Inputs[_features.TargetIndex] = f.Filled!;
                }
            }
        }
    }

    private string[] OutputNames(List<BatchItem> batch)
    {
        var first = batch[0].OutputNames;
        foreach (var item in batch)
        {
            if (!ReferenceEquals(item.OutputNames, first) && !item.OutputNames.AsSpan().SequenceEqual(first))
            {
                return _runner.Signature.OutputNames;
            }
        }

        return first;
    }

    /// <summary>Stops taking requests; the loops finish what is queued, then end.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _stop.Cancel();
            foreach (var sleeping in _sleepers)
            {
                sleeping.TrySetResult();
            }

            _sleepers.Clear();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "A batch of {Count} requests failed")]
        public static partial void BatchFailed(ILogger logger, int count, Exception exception);
    }
}
