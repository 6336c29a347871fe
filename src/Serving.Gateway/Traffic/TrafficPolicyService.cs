using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Hosting;
using Serving.Gateway.Metrics;
using Serving.Gateway.Routing;

namespace Serving.Gateway.Traffic;

/// <summary>
/// Owns policy changes: validates a proposed policy against what the workers serve, stores it with
/// the next revision (refusing if another replica got there first), applies it as a new snapshot and
/// audits who changed what. Loads the stored policies at start, applies other replicas' changes as
/// their pub/sub messages arrive, and re-reads a shared store now and then in case one was lost.
/// </summary>
internal sealed partial class TrafficPolicyService(
    ITrafficPolicyStore store, TrafficPolicies policies, RoutingState routing, GatewayMetrics metrics,
    IOptions<GatewayOptions> options, TimeProvider time, ILogger<TrafficPolicyService> logger) : IHostedService, IDisposable
{
    // Held while a store value is read and applied, and across a change: what applies last is what was read last.
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();

    // The stored policies refused last, per model: each is logged once, not at every re-read.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TrafficPolicy> _refused = new(StringComparer.Ordinal);
    private readonly LastKnownPolicies _lastKnown = new(Path.GetFullPath(options.Value.DataDirectory));

    // Automatic rollbacks in force here that the store could not take (Redis down, the policy file not writable), by model:
    // stored by the re-read once it takes them, unless the stored policy moved on from the revision the rollback was based
    // on meanwhile. Kept in the data directory too, so a restart before then keeps them.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HeldRollback> _held = new(StringComparer.Ordinal);
    private readonly HeldRollbackFile _heldFile = new(Path.GetFullPath(options.Value.DataDirectory));
    private Task? _resync;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        policies.Applied += metrics.PolicyApplied;
        store.Changed += OnStoreChanged;
        store.Reconnected += OnStoreReconnected;
        await LoadHeldAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await store.StartAsync(cancellationToken).ConfigureAwait(false);
            await ReloadAllAsync(cancellationToken).ConfigureAwait(false);
            if (store.IsShared)
            {
                await SaveLastKnownAsync().ConfigureAwait(false); // what the store holds now, for a start without it
            }
        }
        catch (PolicyStoreUnreadableException e)
        {
            // As with a store that is down: the gateway serves the defaults, and changes are refused (503) saying why.
            Log.StoreUnreadable(logger, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A store that is down at start must not keep the gateway down: it serves what it last had from the store
            // (the defaults when it has nothing) and keeps trying.
            if (store.IsShared)
            {
                // Where Redis is and what to check: before, the line was the Redis client's dump, without either.
                Log.RedisUnavailableAtStart(logger, store.Where, PolicyStoreErrors.Describe(e), e);
                await ApplyLastKnownAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Log.StoreUnavailable(logger, e.Message);
            }
        }

        if (store.IsShared)
        {
            policies.Applied += OnApplied;
        }

        // A file store is re-read for nothing, but a rollback it could not take is stored by the same loop.
        var interval = options.Value.PolicyResyncInterval;
        if (interval > TimeSpan.Zero)
        {
            _resync = Task.Run(() => ResyncLoopAsync(interval, _stopping.Token), CancellationToken.None);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        store.Changed -= OnStoreChanged;
        store.Reconnected -= OnStoreReconnected;
        policies.Applied -= OnApplied;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_resync is not null)
        {
            await _resync.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _changes.Dispose();
    }

    /// <summary>Validates, stores and applies a new policy for <paramref name="model"/>.</summary>
    public Task<PolicyChangeResult> SetAsync(string model, TrafficPolicyDocument document, string who, CancellationToken cancellationToken) =>
        SetAsync(model, document, who, rollback: null, cancellationToken);

    /// <summary>
    /// As <see cref="SetAsync(string, TrafficPolicyDocument, string, CancellationToken)"/>; <paramref name="rollback"/>
    /// names the automatic rollback that made the change (kept as the policy's last rollback and as the audit's reason).
    /// </summary>
    public async Task<PolicyChangeResult> SetAsync(string model, TrafficPolicyDocument document, string who, RollbackEvent? rollback, CancellationToken cancellationToken)
    {
        var result = await ChangeAsync(model, document, who, rollback, cancellationToken).ConfigureAwait(false);
        if (result.Status == PolicyChangeStatus.Applied)
        {
            if (_held.TryRemove(model, out _))
            {
                await SaveHeldAsync().ConfigureAwait(false); // stored now, or superseded by a change that is
            }
        }
        else if (result.Status == PolicyChangeStatus.StoreUnavailable && rollback is not null && document.Revision is { } basedOn)
        {
            // A failing version must stop getting traffic whether or not the store takes the change: the rollback applies
            // here at once, and is stored when the store takes it (each replica's own monitor rolls it back there too).
            if (_held.TryGetValue(model, out var holding) && holding.BasedOn == basedOn && holding.Event == rollback)
            {
                return result with { Policy = holding.Policy }; // the re-read's retry: held already
            }

            var held = new HeldRollback(basedOn, document, who, rollback, Build(model, document, basedOn, who, rollback, policies.Find(model)));
            _held[model] = held;
            policies.Apply(held.Policy);
            Log.RollbackHeld(logger, model, rollback.Version, rollback.Baseline, basedOn, string.Join("; ", result.Errors));
            await SaveHeldAsync().ConfigureAwait(false);
            return result with { Policy = held.Policy };
        }

        return result;
    }

    private async Task<PolicyChangeResult> ChangeAsync(string model, TrafficPolicyDocument document, string who, RollbackEvent? rollback, CancellationToken cancellationToken)
    {
        routing.Table.TryGetModel(model, out var route);

        // An automatic rollback needs only its baseline ready (TrafficPolicyValidator.ValidateRollback); one refused is said
        // once by its monitor (or, held, by the re-read), not here at each retry.
        var errors = rollback is null ? TrafficPolicyValidator.Validate(model, document, route) : TrafficPolicyValidator.ValidateRollback(model, document, route);
        if (errors.Count > 0)
        {
            if (rollback is null)
            {
                Log.Refused(logger, model, who, string.Join("; ", errors));
            }

            return new PolicyChangeResult(PolicyChangeStatus.Invalid, null, errors);
        }

        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            TrafficPolicy? stored;
            try
            {
                // The store, not this replica's memory, says which revision the change builds on.
                stored = await store.LoadAsync(model, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return StoreUnavailable(e);
            }

            if (stored is not null && Valid(stored))
            {
                ApplyStored(stored);
            }

            // A store that lost this model's policy (Redis restarted empty, the field deleted or unreadable) continues
            // from the revision in force here, so no replica holds a higher one than the change; the compare-and-set
            // still expects what the store holds.
            var old = policies.Find(model);
            var storedRevision = stored?.Revision ?? 0;
            var baseRevision = stored?.Revision ?? old?.Revision ?? 0;
            if (document.Revision is { } expected && expected != baseRevision)
            {
                return PolicyChangeResult.Refused(PolicyChangeStatus.Conflict, $"the policy is at revision {baseRevision}, not {expected}: read it again and retry");
            }

            var policy = Build(model, document, baseRevision + 1, who, rollback, old);
            bool saved;
            try
            {
                saved = await store.SaveAsync(policy, storedRevision, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return StoreUnavailable(e);
            }

            if (!saved)
            {
                return PolicyChangeResult.Refused(PolicyChangeStatus.Conflict, "another gateway changed this policy at the same moment: read it again and retry");
            }

            policies.Apply(policy);
            var auditError = await AuditAsync(old, policy, rollback?.Reason, cancellationToken).ConfigureAwait(false);
            return PolicyChangeResult.Applied(policy, auditError);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>The most recent changes of a model, newest first.</summary>
    public Task<IReadOnlyList<PolicyChangeDocument>> HistoryAsync(string model, int count, CancellationToken cancellationToken) =>
        store.HistoryAsync(model, count, cancellationToken);

    // Null when the audit entry was written, else why not (the change stays in force either way).
    private async Task<string?> AuditAsync(TrafficPolicy? old, TrafficPolicy policy, string? reason, CancellationToken cancellationToken)
    {
        var change = new PolicyChangeDocument
        {
            Model = policy.Model,
            Who = policy.UpdatedBy,
            At = policy.UpdatedAt,
            Reason = reason,
            Old = old is null ? null : TrafficPolicyDocument.From(old),
            New = TrafficPolicyDocument.From(policy),
        };
        Log.Changed(logger, policy.Model, policy.Revision, policy.UpdatedBy, policy.UpdatedAt, Describe(old), Describe(policy));
        try
        {
            await store.AppendAuditAsync(change, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.AuditFailed(logger, policy.Model, e.Message);
            return e.Message;
        }
    }

    private void OnStoreChanged(string model) => _ = ReloadAsync(model);

    private void OnStoreReconnected() => _ = ReloadAllAfterReconnectAsync();

    // The change messages published while the connection was down never came: the store is read again at once, not at the
    // next periodic re-read (never, with PolicyResyncInterval 0).
    private async Task ReloadAllAfterReconnectAsync()
    {
        try
        {
            Log.Reconnected(logger);
            await ReloadAllAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            Log.StoreUnavailable(logger, e.Message);
        }
    }

    private void OnApplied(TrafficPolicy policy) => _ = SaveLastKnownAsync();

    private async Task SaveLastKnownAsync()
    {
        try
        {
            await _lastKnown.SaveAsync(policies, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.LastKnownNotSaved(logger, _lastKnown.FilePath, e.Message);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task ApplyLastKnownAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (saved, at) = await _lastKnown.LoadAsync(cancellationToken).ConfigureAwait(false);
            var applied = 0;
            foreach (var policy in saved)
            {
                // A rollback held when the gateway stopped stays in force over an older copy.
                if (!_held.ContainsKey(policy.Model) && Valid(policy) && policies.Apply(policy))
                {
                    applied++;
                }
            }

            if (saved.Count > 0)
            {
                Log.ServingLastKnown(logger, applied, _lastKnown.FilePath, at);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            Log.LastKnownUnreadable(logger, _lastKnown.FilePath, e.Message);
        }
    }

    private async Task ReloadAsync(string model)
    {
        try
        {
            await _changes.WaitAsync(_stopping.Token).ConfigureAwait(false);
            try
            {
                if (await store.LoadAsync(model, _stopping.Token).ConfigureAwait(false) is { } policy && Valid(policy))
                {
                    ApplyStored(policy);
                }
            }
            finally
            {
                _changes.Release();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StoreUnavailable(logger, e.Message);
        }
    }

    private async Task ReloadAllAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await store.LoadAllAsync(cancellationToken).ConfigureAwait(false);
            foreach (var policy in stored)
            {
                if (Valid(policy))
                {
                    ApplyStored(policy);
                }
            }

            await RestoreLostAsync(stored, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Writes back the policies in force here that a shared store no longer holds (Redis restarted without persistence,
    /// the field deleted or unreadable), so replicas started since get them too; the compare-and-set lets one replica win.
    /// </summary>
    private async Task RestoreLostAsync(IReadOnlyList<TrafficPolicy> stored, CancellationToken cancellationToken)
    {
        if (!store.IsShared)
        {
            return;
        }

        var held = stored.Select(p => p.Model).ToHashSet(StringComparer.Ordinal);
        foreach (var policy in policies.Current.Values.Where(p => !held.Contains(p.Model)))
        {
            if (await store.SaveAsync(policy, 0, cancellationToken).ConfigureAwait(false))
            {
                Log.Restored(logger, policy.Model, policy.Revision);
            }
        }
    }

    private async Task ResyncLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await Ticks.NextAsync(timer, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (store.IsShared)
                {
                    await ReloadAllAsync(cancellationToken).ConfigureAwait(false);
                }

                foreach (var (model, held) in _held)
                {
                    // The store answers again and still holds the revision the rollback was based on.
                    var stored = await SetAsync(model, held.Document, held.Who, held.Event, cancellationToken).ConfigureAwait(false);
                    if (stored.Status == PolicyChangeStatus.Applied)
                    {
                        Log.HeldRollbackStored(logger, model, held.Event.Version, stored.Policy!.Revision);
                    }
                    else if (stored.Status is PolicyChangeStatus.Conflict or PolicyChangeStatus.Invalid && _held.TryRemove(model, out _))
                    {
                        if (stored.Status == PolicyChangeStatus.Invalid)
                        {
                            Log.HeldRollbackRefused(logger, model, held.Event.Version, string.Join("; ", stored.Errors));
                        }

                        await SaveHeldAsync().ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.StoreUnavailable(logger, e.Message);
            }
        }
    }

    private TrafficPolicy Build(string model, TrafficPolicyDocument document, long revision, string who, RollbackEvent? rollback, TrafficPolicy? old) => new(
        model,
        document.Weights!.Select(kv => new VersionWeight(kv.Key, kv.Value)),
        document.StickyHeader,
        document.PinHeader,
        document.Shadow is { Version: { } v } s ? new ShadowPolicy(v, s.Percent) : null,
        revision,
        time.GetUtcNow(),
        who,
        document.Rollback?.ToPolicy(),
        rollback ?? old?.LastRollback);

    /// <summary>A rollback in force here that the store could not take: based on <paramref name="BasedOn"/>.</summary>
    private sealed record HeldRollback(long BasedOn, TrafficPolicyDocument Document, string Who, RollbackEvent Event, TrafficPolicy Policy)
    {
        /// <summary>The hold whose policy in force is <paramref name="policy"/> (as <see cref="HeldRollbackFile"/> keeps it): its revision is the one it was based on.</summary>
        public static HeldRollback From(TrafficPolicy policy)
        {
            var document = TrafficPolicyDocument.From(policy);
            document.LastRollback = null;
            document.UpdatedAt = null;
            document.UpdatedBy = null;
            return new HeldRollback(policy.Revision, document, policy.UpdatedBy, policy.LastRollback!, policy);
        }
    }

    // The rollbacks held when the gateway last stopped (or died): in force again, stored when the store takes them.
    private async Task LoadHeldAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var policy in await _heldFile.LoadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Valid(policy))
                {
                    _held[policy.Model] = HeldRollback.From(policy);
                    policies.Apply(policy);
                    Log.HeldAtStart(logger, policy.Model, policy.LastRollback!.Version, policy.LastRollback.Baseline, policy.Revision, _heldFile.FilePath);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            Log.HeldUnreadable(logger, _heldFile.FilePath, e.Message);
        }
    }

    private async Task SaveHeldAsync()
    {
        try
        {
            await _heldFile.SaveAsync(() => _held.Values.Select(h => h.Policy), _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.HeldNotSaved(logger, _heldFile.FilePath, e.Message);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Applies a policy read from the store, logged; one below the revision in force means the store lost changes (Redis
    /// restored from an older snapshot, or restarted empty and changed since), which may undo an operator's: a warning says so.
    /// </summary>
    private void ApplyStored(TrafficPolicy policy)
    {
        if (_held.TryGetValue(policy.Model, out var held))
        {
            if (policy.Revision == held.BasedOn)
            {
                return; // the rollback stays in force; the re-read stores it
            }

            _held.TryRemove(policy.Model, out _);
            _ = SaveHeldAsync();
            Log.HeldRollbackSuperseded(logger, policy.Model, held.Event.Version, held.BasedOn, policy.Revision, policy.UpdatedBy);
        }

        var inForce = policies.Find(policy.Model);
        if (!policies.Apply(policy))
        {
            return;
        }

        if (inForce is not null && inForce.Revision > policy.Revision)
        {
            Log.WentBack(logger, policy.Model, policy.Revision, policy.UpdatedBy, inForce.Revision, inForce.UpdatedBy);
        }
        else
        {
            Log.AppliedFromStore(logger, policy.Model, policy.Revision, policy.UpdatedBy);
        }
    }

    /// <summary>
    /// True when a policy read from the store passes the rules of a change that don't depend on this gateway's workers;
    /// otherwise it is refused (logged once as an error) and the policy in force, or the default, stays.
    /// </summary>
    private bool Valid(TrafficPolicy stored)
    {
        var errors = TrafficPolicyValidator.ValidateStored(TrafficPolicyDocument.From(stored));
        if (errors.Count == 0)
        {
            _refused.TryRemove(stored.Model, out _);
            return true;
        }

        if (!_refused.TryGetValue(stored.Model, out var logged) || !logged.IsSameChange(stored))
        {
            _refused[stored.Model] = stored;
            Log.StoredRefused(logger, stored.Model, stored.Revision, string.Join("; ", errors));
        }

        return false;
    }

    private static PolicyChangeResult StoreUnavailable(Exception e) => PolicyChangeResult.Refused(
        PolicyChangeStatus.StoreUnavailable, e is PolicyStoreUnreadableException ? e.Message : $"the policy store is unavailable: {PolicyStoreErrors.Describe(e)}");

    private static string Describe(TrafficPolicy? policy) => policy is null
        ? "(default: newest ready version)"
        : string.Join(" ", policy.Weights.Select(w => $"{w.Version}={w.Weight}"))
          + (policy.StickyHeader is { } s ? $" sticky={s}" : "")
          + (policy.PinHeader is { } p ? $" pin={p}" : "")
          + (policy.Shadow is { } sh ? $" shadow={sh.Version}:{sh.Percent}" : "")
          + (policy.Rollback is { } r ? $" rollback={r.Baseline}@{r.MaxErrorRate:0.####}" : "");

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Traffic policy of {Model} changed to revision {Revision} by {Who} at {At:O}: old [{Old}] new [{New}]")]
        public static partial void Changed(ILogger logger, string model, long revision, string who, DateTimeOffset at, string old, string @new);

        [LoggerMessage(2, LogLevel.Warning, "Traffic policy change of {Model} by {Who} refused: {Reasons}")]
        public static partial void Refused(ILogger logger, string model, string who, string reasons);

        [LoggerMessage(3, LogLevel.Information, "Traffic policy of {Model} revision {Revision} (by {Who}) applied from the store")]
        public static partial void AppliedFromStore(ILogger logger, string model, long revision, string who);

        [LoggerMessage(4, LogLevel.Warning, "The traffic policy store is unavailable: {Reason}; the policies in force stay")]
        public static partial void StoreUnavailable(ILogger logger, string reason);

        [LoggerMessage(5, LogLevel.Warning, "Could not record the audit entry of a policy change of {Model}: {Reason}")]
        public static partial void AuditFailed(ILogger logger, string model, string reason);

        [LoggerMessage(8, LogLevel.Error, "The stored traffic policy of {Model} (revision {Revision}) is refused, the one in force stays: {Reasons}")]
        public static partial void StoredRefused(ILogger logger, string model, long revision, string reasons);

        [LoggerMessage(7, LogLevel.Error, "The traffic policies can't be loaded, the defaults serve: {Reason}")]
        public static partial void StoreUnreadable(ILogger logger, string reason);

        [LoggerMessage(9, LogLevel.Warning, "Traffic policy of {Model} revision {Revision} (by {Who}) applied from the store replaces the higher revision {InForce} (by {InForceWho}) in force here: the store lost changes (restored from an older snapshot, or restarted empty and changed since); check the policy and set it again if it is not what should serve")]
        public static partial void WentBack(ILogger logger, string model, long revision, string who, long inForce, string inForceWho);

        [LoggerMessage(10, LogLevel.Warning, "The policy store can't be read at start: serving the {Count} traffic policies this gateway last had from it, saved in {Path} at {SavedAt:O}, until it can; changes are refused meanwhile")]
        public static partial void ServingLastKnown(ILogger logger, int count, string path, DateTime savedAt);

        [LoggerMessage(11, LogLevel.Warning, "Could not save the policies in force to {Path} (a gateway started while the policy store is down serves them): {Reason}")]
        public static partial void LastKnownNotSaved(ILogger logger, string path, string reason);

        [LoggerMessage(12, LogLevel.Error, "The policy store can't be read at start and the policies saved last in {Path} can't be read either, the defaults serve: {Reason}")]
        public static partial void LastKnownUnreadable(ILogger logger, string path, string reason);

        [LoggerMessage(16, LogLevel.Warning, "Automatic rollback of {Model} version {Version} to {Baseline}, held when the gateway stopped ({Path}), is in force again: it is stored once the policy store takes it, if the policy there is still revision {Revision}")]
        public static partial void HeldAtStart(ILogger logger, string model, string version, string baseline, long revision, string path);

        [LoggerMessage(17, LogLevel.Error, "The automatic rollbacks held when the gateway stopped can't be read from {Path}, and are not in force: {Reason}")]
        public static partial void HeldUnreadable(ILogger logger, string path, string reason);

        [LoggerMessage(18, LogLevel.Warning, "Could not save the automatic rollbacks held on this gateway to {Path} (a restart before the policy store takes them loses them): {Reason}")]
        public static partial void HeldNotSaved(ILogger logger, string path, string reason);

        [LoggerMessage(13, LogLevel.Warning, "Automatic rollback of {Model} version {Version} to {Baseline} is in force on this gateway only: the policy store can't take it ({Reason}); it is stored once the store answers, if the policy there is still revision {Revision}")]
        public static partial void RollbackHeld(ILogger logger, string model, string version, string baseline, long revision, string reason);

        [LoggerMessage(14, LogLevel.Information, "Automatic rollback of {Model} version {Version}, held while the policy store was down, is stored as revision {Revision}")]
        public static partial void HeldRollbackStored(ILogger logger, string model, string version, long revision);

        [LoggerMessage(15, LogLevel.Warning, "Automatic rollback of {Model} version {Version}, held on this gateway while the policy store was down, gives way: the stored policy moved on from revision {BasedOn} to {Revision} (by {Who})")]
        public static partial void HeldRollbackSuperseded(ILogger logger, string model, string version, long basedOn, long revision, string who);

        [LoggerMessage(20, LogLevel.Warning, "The traffic policy store, Redis at {Redis}, does not answer at start ({Reason}): the gateway starts without it and keeps trying, and reads its policies once it answers; changes answer 503 until then. Check that redis-server runs at that address and takes the connection string's password")]
        public static partial void RedisUnavailableAtStart(ILogger logger, string redis, string reason, Exception exception);

        [LoggerMessage(21, LogLevel.Warning, "Automatic rollback of {Model} version {Version}, held on this gateway while the policy store was down, is dropped: it can no longer apply ({Reasons})")]
        public static partial void HeldRollbackRefused(ILogger logger, string model, string version, string reasons);

        [LoggerMessage(19, LogLevel.Information, "The traffic policy store's connection is back: its policies are read again (changes published while it was down were not received)")]
        public static partial void Reconnected(ILogger logger);

        [LoggerMessage(6, LogLevel.Warning, "The policy store had lost the traffic policy of {Model}: revision {Revision}, in force here, is written back")]
        public static partial void Restored(ILogger logger, string model, long revision);
    }
}
