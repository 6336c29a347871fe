using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Serving.Gateway.Traffic;

/// <summary>
/// Policies in <c>traffic-policies.json</c> in the data directory, rewritten whole through a
/// temporary file and a rename so a crash never leaves half a file; changes are appended to
/// <c>traffic-audit.jsonl</c>. For one gateway; replicas share policies through Redis. A policy file that can't be
/// read at start (truncated, not JSON) is never overwritten: every load and save throws
/// <see cref="PolicyStoreUnreadableException"/> until it is fixed or moved away and the gateway restarted. An audit
/// line broken off (a crash or a full disk mid-append) is left out of the history with a warning, and the next one
/// starts on a line of its own.
/// </summary>
internal sealed partial class FileTrafficPolicyStore(string directory, ILogger? logger = null) : ITrafficPolicyStore
{
    public const string PoliciesFile = "traffic-policies.json";
    public const string AuditFile = "traffic-audit.jsonl";

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, TrafficPolicyDocument> _documents = new(StringComparer.Ordinal);
    private PolicyStoreUnreadableException? _unreadable;

    public event Action<string>? Changed
    {
        add { }
        remove { }
    }

    public event Action? Reconnected
    {
        add { }
        remove { }
    }

    public bool IsShared => false;

    public string Where => PoliciesPath;

    private string PoliciesPath => Path.Combine(directory, PoliciesFile);

    private string AuditPath => Path.Combine(directory, AuditFile);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        if (!File.Exists(PoliciesPath))
        {
            return;
        }

        try
        {
            var stream = File.OpenRead(PoliciesPath);
            await using (stream.ConfigureAwait(false))
            {
                var documents = await JsonSerializer.DeserializeAsync(stream, TrafficJsonContext.Default.ListTrafficPolicyDocument, cancellationToken).ConfigureAwait(false) ?? [];
                _documents = documents.Where(d => d.Model is not null).ToDictionary(d => d.Model!, StringComparer.Ordinal);
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            _unreadable = new PolicyStoreUnreadableException(
                $"the policy file {PoliciesPath} can't be read ({e.Message}); changes are refused so that it is not overwritten: fix it or move it away, then restart the gateway",
                e);
            throw _unreadable;
        }
    }

    public Task<IReadOnlyList<TrafficPolicy>> LoadAllAsync(CancellationToken cancellationToken) =>
        Readable() ? Task.FromResult<IReadOnlyList<TrafficPolicy>>([.. _documents.Values.Select(d => d.ToPolicy())]) : throw _unreadable!;

    public Task<TrafficPolicy?> LoadAsync(string model, CancellationToken cancellationToken) =>
        Readable() ? Task.FromResult(_documents.TryGetValue(model, out var d) ? d.ToPolicy() : null) : throw _unreadable!;

    public async Task<bool> SaveAsync(TrafficPolicy policy, long expectedRevision, CancellationToken cancellationToken)
    {
        if (!Readable())
        {
            throw _unreadable!;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = _documents.TryGetValue(policy.Model, out var d) ? d.Revision ?? 0 : 0;
            if (stored != expectedRevision)
            {
                return false;
            }

            var next = new Dictionary<string, TrafficPolicyDocument>(_documents, StringComparer.Ordinal) { [policy.Model] = TrafficPolicyDocument.From(policy) };
            var temp = PoliciesPath + ".tmp";
            var bytes = JsonSerializer.SerializeToUtf8Bytes(next.Values.OrderBy(x => x.Model, StringComparer.Ordinal).ToList(), TrafficJsonContext.Default.ListTrafficPolicyDocument);
            await TempFile.WriteAndRenameAsync(temp, PoliciesPath, bytes, cancellationToken).ConfigureAwait(false);
            _documents = next;
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task AppendAuditAsync(PolicyChangeDocument change, CancellationToken cancellationToken)
    {
        var record = JsonSerializer.Serialize(change, TrafficJsonContext.Default.PolicyChangeDocument);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = new FileStream(AuditPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            await using (stream.ConfigureAwait(false))
            {
                // A line broken off before (a crash or a full disk mid-append) must not swallow this one.
                var broken = false;
                if (stream.Length > 0)
                {
                    stream.Seek(-1, SeekOrigin.End);
                    broken = stream.ReadByte() != '\n';
                }

                stream.Seek(0, SeekOrigin.End);
                await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes((broken ? "\n" : "") + record + "\n"), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<PolicyChangeDocument>> HistoryAsync(string model, int count, CancellationToken cancellationToken)
    {
        if (!File.Exists(AuditPath))
        {
            return [];
        }

        var lines = await File.ReadAllLinesAsync(AuditPath, cancellationToken).ConfigureAwait(false);
        var changes = new List<PolicyChangeDocument>();
        var unreadable = 0;
        for (var i = lines.Length - 1; i >= 0 && changes.Count < count; i--)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            PolicyChangeDocument? change;
            try
            {
                change = JsonSerializer.Deserialize(lines[i], TrafficJsonContext.Default.PolicyChangeDocument);
            }
            catch (JsonException)
            {
                unreadable++;
                continue;
            }

            if (change?.Model == model)
            {
                changes.Add(change);
            }
        }

        if (unreadable > 0)
        {
            Log.UnreadableAudit(_logger, unreadable, AuditPath);
        }

        return changes;
    }

    private bool Readable() => _unreadable is null;

    public ValueTask DisposeAsync()
    {
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "{Count} lines of the policy audit log {Path} are not audit records (broken off by a crash or a full disk?) and are left out of the history")]
        public static partial void UnreadableAudit(ILogger logger, int count, string path);
    }
}
