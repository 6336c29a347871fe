using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Gateway.Routing;
using Serving.Hosting.Configuration;
using StackExchange.Redis;

namespace Serving.Gateway.Traffic;

/// <summary>
/// Policies in a Redis hash shared by every gateway replica. A save is a compare-and-set on the
/// stored revision (one Lua script, so two replicas can't both win) that also publishes the model
/// name; every replica is subscribed and re-reads that model at once. Audit records go to a
/// capped list per model. A field that is no policy (not JSON, no model) is left out with an error logged once. A connection
/// back after it was lost is reported (<see cref="Reconnected"/>), so the replica reads everything again.
/// </summary>
internal sealed partial class RedisTrafficPolicyStore(string connectionString, string prefix, ILogger? logger = null) : ITrafficPolicyStore
{
    public const int AuditLength = 200;

    private const string SaveScript = """
        local current = redis.call('HGET', KEYS[1], ARGV[1])
        local revision = 0
        if current then
          local ok, decoded = pcall(cjson.decode, current)
          if ok and type(decoded) == 'table' and type(decoded['revision']) == 'number' then revision = decoded['revision'] end
        end
        if revision ~= tonumber(ARGV[2]) then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        redis.call('PUBLISH', ARGV[4], ARGV[1])
        return 1
        """;

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _unreadable = new(StringComparer.Ordinal);
    private ConnectionMultiplexer? _connection;

    public event Action<string>? Changed;

    public event Action? Reconnected;

    public bool IsShared => true;

    public string Where => RedisConnectionString.Redact(connectionString);

    private RedisKey PoliciesKey => prefix + "policies";

    private string Channel => prefix + "changed";

    private IDatabase Database => (_connection ?? throw new InvalidOperationException("the Redis store is not started")).GetDatabase();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        configuration.AbortOnConnectFail = false;

        // While the connection is down a command fails at once instead of waiting out its timeout in a backlog: a change
        // got its 503 only after about 10 s.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        _connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);

        // Pub/sub is at-most-once: what was published while a connection was down (Redis restarted or unreachable, or not
        // reachable yet when the gateway started) never comes. Before, only the periodic re-read caught up, and with
        // PolicyResyncInterval 0 nothing did: a gateway started in an outage served its last-known copy, and a change made
        // while its connection was down was never in force on it.
        _connection.ConnectionRestored += (_, _) => Reconnected?.Invoke();
        await _connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Channel), (_, message) =>
        {
            if (message.HasValue)
            {
                Changed?.Invoke(message.ToString());
            }
        }).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<TrafficPolicy>> LoadAllAsync(CancellationToken cancellationToken)
    {
        var entries = await Database.HashGetAllAsync(PoliciesKey).ConfigureAwait(false);
        return [.. entries.Select(e => Parse(e.Name.ToString(), e.Value)).OfType<TrafficPolicy>()];
    }

    public async Task<TrafficPolicy?> LoadAsync(string model, CancellationToken cancellationToken) =>
        Parse(model, await Database.HashGetAsync(PoliciesKey, model).ConfigureAwait(false));

    public async Task<bool> SaveAsync(TrafficPolicy policy, long expectedRevision, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(TrafficPolicyDocument.From(policy), TrafficJsonContext.Default.TrafficPolicyDocument);
        var result = await Database.ScriptEvaluateAsync(SaveScript, [PoliciesKey], [policy.Model, expectedRevision, json, Channel]).ConfigureAwait(false);
        return (long)result == 1;
    }

    public async Task AppendAuditAsync(PolicyChangeDocument change, CancellationToken cancellationToken)
    {
        var key = AuditKey(change.Model!);
        var db = Database;
        await db.ListLeftPushAsync(key, JsonSerializer.Serialize(change, TrafficJsonContext.Default.PolicyChangeDocument)).ConfigureAwait(false);
        await db.ListTrimAsync(key, 0, AuditLength - 1).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PolicyChangeDocument>> HistoryAsync(string model, int count, CancellationToken cancellationToken)
    {
        var key = AuditKey(model);
        var values = await Database.ListRangeAsync(key, 0, Math.Min(count, AuditLength) - 1).ConfigureAwait(false);
        var changes = new List<PolicyChangeDocument>(values.Length);
        var unreadable = 0;
        foreach (var value in values.Where(v => v.HasValue))
        {
            try
            {
                if (JsonSerializer.Deserialize(value.ToString(), TrafficJsonContext.Default.PolicyChangeDocument) is { Model: not null } change)
                {
                    changes.Add(change);
                    continue;
                }
            }
            catch (JsonException)
            {
            }

            unreadable++;
        }

        if (unreadable > 0)
        {
            Log.UnreadableAudit(_logger, unreadable, key.ToString());
        }

        return changes;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            // Not the default close, which sends QUIT and waits for its answer up to the sync timeout: a Redis that doesn't
            // answer held the gateway's stop that long (60 s with syncTimeout=60000). Nothing owed to Redis is lost: a change
            // in flight has answered its caller already, or is refused.
            await _connection.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private RedisKey AuditKey(string model) => prefix + "audit:" + model;

    private TrafficPolicy? Parse(string field, RedisValue value)
    {
        if (!value.HasValue)
        {
            return null;
        }

        var text = value.ToString();
        try
        {
            var document = JsonSerializer.Deserialize(text, TrafficJsonContext.Default.TrafficPolicyDocument);
            if (document?.Model == field)
            {
                _unreadable.TryRemove(field, out _);
                return document.ToPolicy();
            }

            Unreadable(field, text, document?.Model is { } other ? $"it names model '{Names.Printable(other)}'" : "it names no model");
        }
        catch (JsonException e)
        {
            Unreadable(field, text, e.Message);
        }

        return null;
    }

    private void Unreadable(string field, string text, string reason)
    {
        if (!_unreadable.TryGetValue(field, out var logged) || logged != text)
        {
            _unreadable[field] = text;
            Log.Unreadable(_logger, field, PoliciesKey.ToString(), reason);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The stored traffic policy of {Model} in Redis hash {Key} is no policy and is left out, the one in force stays: {Reason}")]
        public static partial void Unreadable(ILogger logger, string model, string key, string reason);

        [LoggerMessage(2, LogLevel.Warning, "{Count} entries of the policy audit list {Key} are not audit records and are left out of the history")]
        public static partial void UnreadableAudit(ILogger logger, int count, string key);
    }
}
