using System.Globalization;
using System.Reflection;
using Serving.Worker.Features;
using StackExchange.Redis;

namespace Serving.Worker.Tests.TestSupport;

/// <summary>An <see cref="IDatabase"/> that records the loader's writes (SET of a packed value, the hash script's HSET) and answers at once.</summary>
public class RecordingDatabase : DispatchProxy
{
    private readonly List<(string Key, string? Packed, RedisValue[]? Hash)> _writes = [];

    public static RecordingDatabase New() => (RecordingDatabase)(object)Create<IDatabase, RecordingDatabase>();

    public IDatabase AsDatabase() => (IDatabase)(object)this;

    /// <summary>What was written, per key: field → value, parsed back from the layout's form.</summary>
    public Dictionary<string, Dictionary<string, double>> Written(string layout)
    {
        var written = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        foreach (var (key, packed, hash) in _writes)
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            var pairs = layout == FeatureLayouts.Packed
                ? packed!.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (l[..l.IndexOf('=', StringComparison.Ordinal)], l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]))
                : hash!.Chunk(2).Select(p => ((string)p[0]!, (string)p[1]!));
            foreach (var (field, value) in pairs)
            {
                values[field] = double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            }

            written[key] = values;
        }

        return written;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        switch (targetMethod!.Name)
        {
            case nameof(IDatabase.StringSetAsync):
                _writes.Add((((RedisKey)args![0]!).ToString(), (string?)(RedisValue)args[1]!, null));
                return Task.FromResult(true);
            case nameof(IDatabase.ScriptEvaluateAsync) when args![1] is RedisKey[] keys:
                _writes.Add((keys[0].ToString(), null, (RedisValue[])args[2]!));
                return Task.FromResult(RedisResult.Create((RedisValue)1));
            default:
                throw new NotSupportedException($"the loader called {targetMethod.Name}");
        }
    }
}
