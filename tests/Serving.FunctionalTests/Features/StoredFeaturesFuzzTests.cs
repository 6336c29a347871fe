using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;
using StackExchange.Redis;

namespace Serving.FunctionalTests.Features;

/// <summary>
/// Seeded mutation sweep of what is stored in Redis, as someone else, an older version or a corruption may have left
/// it, read by a real worker (Kestrel, REST and gRPC) from a real redis-server, in both layouts: a hash per entity
/// (on_missing: defaults) and packed strings (on_missing: error). Values swapped for text that is no number, numbers
/// with spaces, signs, exponents, hex or a comma, NaN, Infinity, huge and denormal ones, empty strings, 1 MB strings,
/// bytes that are not UTF-8 and line breaks; fields or lines taken away, repeated or added; packed blobs cut, garbled
/// or emptied; the key holding another Redis type. Oracle: each entity-form call answers what the stored data means,
/// read field by field as <c>double.TryParse</c> reads the value's text (a hash value's line break as a space; a
/// packed line by the name before its first '=', the last line of a name winning): its outputs are bit for bit those
/// of the same numbers sent inline, and the rows that got defaults are listed; or, with on_missing: error, 404 /
/// NOT_FOUND naming the entity (and the field). The same call again (near cache) and over gRPC answers the same; the
/// worker keeps serving; nothing hangs.
/// </summary>
public sealed class StoredFeaturesFuzzTests : IAsyncLifetime
{
    // Cases per layout: 30 in CI (a few seconds, and a 1 s wait on a frozen Redis); STORED_FEATURES_FUZZ_ITERATIONS for a longer search.
    private static readonly int Iterations = OperatorFileMutations.Iterations("STORED_FEATURES_FUZZ_ITERATIONS", 30);

    private const int Seed = 20261207;

    private static readonly string[] Fields = File.ReadAllLines(Path.Combine(RepoPaths.Models, "tabular", "feature_names.txt")).Where(l => l.Length > 0).ToArray();

    // What a mutation puts in place of a value.
    private static readonly byte[][] OddValues =
    [
        .. new[]
        {
            "", " ", "abc", "1,5", "1.5 ", " 1.5", "\t2\t", "+3", "--3", "+-3", "1e3", "1E-3", "1e", "e5", ".5", "5.", ".", "-", "0x10", "0X1F", "&H10",
            "1_000", "1 000", "١٢", "NaN", "nan", "-NaN", "Infinity", "-Infinity", "infinity", "∞", "1e38", "3.5e38", "-3.5e38", "1e39", "1e308", "1e309",
            "-1e400", "1e-400", "4.9e-324", "1.4e-45", "1e-46", "-0", "0.1000000000000000055511151231257827", new string('9', 400), "0." + new string('0', 400) + "1",
            "1.5\n", "2\n3", "\n", "1.5\r", "1.5\r\n", "\u0000", "1.5\u0000", "1.5\u00A0", "true", "null", "[1]", "1=2", "=", "mean_radius=1",
            new string('1', 1 << 20), " " + new string(' ', 1 << 20) + "7",
        }.Select(Encoding.UTF8.GetBytes),
        [0xFF], [0x31, 0xFF], [0x31, 0x2E, 0x35, 0xC3], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF, 0x31], [0xC0, 0xB1],
    ];

    private static readonly (string Name, double[] Values)[] Customers = File.ReadLines(FeatureTestData.CsvPath).Skip(1).Take(40)
        .Select(l => l.Split(',')).Select(c => (c[0], c.Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())).ToArray();

    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    /// <summary>What a case stored, and what the worker must make of it: per field a number, or NaN (no usable number); null: no entity.</summary>
    private sealed record Stored(string Description, double[]? Meaning);

    [Theory]
    [InlineData("hash")]
    [InlineData("packed")]
    public async Task Infer_MutatedStoredFeatures_AnswersWhatTheyMeanOrNotFoundNamingThem(string layout)
    {
        var onMissing = layout == "hash" ? "defaults" : "error";
        var prefix = layout == "hash" ? "h:" : "p:";
        var (server, repo) = await FeatureTestData.StartWorkerAsync(
            _redis.ConnectionString, "", new Dictionary<string, string?> { ["Serving:Features:Timeout"] = "00:00:01" },
            ("layout", layout), ("key_pattern", $"\"{prefix}{{id}}\""), ("on_missing", onMissing), ("near_cache_ttl_ms", "60000"));
        using var repoScope = repo;
        await using var serverScope = server;
        var random = new Random(Seed + layout.Length);
        await WriteAsync(layout, prefix + "1", Text(Customers[0].Values));
        var current = "";
        var (answered, defaulted, notFound) = (0, 0, 0);

        var sweep = Task.Run(async () =>
        {
            for (var i = 0; i < Iterations; i++)
            {
                var id = 100_000 + i;
                var customer = Customers[random.Next(Customers.Length)];
                var stored = await StoreMutatedAsync(layout, prefix + id, customer.Values, random);
                current = $"seed {Seed + layout.Length}, case {i} ({layout}, id {id}): {stored.Description}";
                HttpStatusCode status;
                try
                {
                    status = await CheckAsync(server, layout, id, stored.Meaning, current);
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    throw new InvalidOperationException(current, e);
                }

                switch (status)
                {
                    case HttpStatusCode.NotFound:
                        notFound++;
                        break;
                    case var _ when stored.Meaning is null || stored.Meaning.Any(double.IsNaN):
                        defaulted++;
                        break;
                    default:
                        answered++;
                        break;
                }
            }
        });
        if (await Task.WhenAny(sweep, Task.Delay(TimeSpan.FromMinutes(Math.Max(3, Iterations / 20)))) != sweep)
        {
            Assert.Fail($"the sweep did not end (a hang?) on: {current}");
        }

        await sweep;
        await FailedReadThenRedisBackAsync(server, layout, prefix);
        Assert.True(answered > 0 && (defaulted > 0 || notFound > 0), $"{answered} answered as stored, {defaulted} defaulted, {notFound} not found: the mutations should give both");
    }

    // A read that failed (Redis frozen past Timeout) answers the outage policy (fail_open: defaults, flagged); nothing
    // of it is cached, so once Redis answers again the entity's own values come back, not the defaults served meanwhile.
    private async Task FailedReadThenRedisBackAsync(WorkerServer server, string layout, string prefix)
    {
        const long id = 90_000;
        var current = $"{layout}: a read of entity {id} while Redis was frozen, then Redis back";
        await WriteAsync(layout, prefix + id, Text(Customers[1].Values));
        _redis.Pause();
        try
        {
            using var during = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([id, 1])));
            var text = await during.Content.ReadAsStringAsync();
            Assert.True(during.StatusCode == HttpStatusCode.OK && text.Contains("\"features_store_unavailable\":true", StringComparison.Ordinal), $"{(int)during.StatusCode} {text}\n{current}");
        }
        finally
        {
            _redis.Resume();
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            // The breaker lets a probe through after BreakerOpenFor (200 ms here).
            using var after = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([id, 1])));
            if (!(await after.Content.ReadAsStringAsync()).Contains("features_store_unavailable", StringComparison.Ordinal))
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the worker did not read Redis again\n" + current);
            await Task.Delay(100);
        }

        await CheckAsync(server, layout, id, Customers[1].Values, current);
    }

    // The entity-form call for [id, 1] over REST twice (the second from the near cache) and over gRPC, against the same
    // numbers sent inline; the status of the first call.
    private static async Task<HttpStatusCode> CheckAsync(WorkerServer server, string layout, long id, double[]? meaning, string current)
    {
        var usable = meaning?.Select(v => double.IsFinite(v) && float.IsFinite((float)v) ? v : double.NaN).ToArray();
        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([id, 1])));
        var text = await response.Content.ReadAsStringAsync();
        var error = layout == "packed" ? Missing(id, usable) : null;
        if (error is not null)
        {
            Assert.True(response.StatusCode == HttpStatusCode.NotFound && text.Contains(error, StringComparison.Ordinal), $"expected 404 saying \"{error}\", got {(int)response.StatusCode} {text}\n{current}");
            var rpc = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [id, 1])).ResponseAsync);
            Assert.True(rpc.StatusCode == StatusCode.NotFound && rpc.Status.Detail.Contains(error, StringComparison.Ordinal), $"gRPC: {rpc.Status}\n{current}");
            return response.StatusCode;
        }

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}\n{current}");
        var inline = new float[2 * Fields.Length];
        for (var k = 0; k < Fields.Length; k++)
        {
            inline[k] = (float)(usable is null || double.IsNaN(usable[k]) ? 0 : usable[k]); // tabular's default is 0
            inline[Fields.Length + k] = (float)Customers[0].Values[k];
        }

        var expected = (await server.Grpc.ModelInferAsync(InlineRequest(inline))).Outputs[0].Contents.Fp32Contents.ToArray();
        var root = JsonDocument.Parse(text).RootElement;
        var defaultedRows = usable is null || usable.Any(double.IsNaN) ? "0" : null;
        var flagged = root.TryGetProperty("parameters", out var parameters) && parameters.TryGetProperty("features_defaulted_rows", out var rows) ? rows.GetString() : null;
        Assert.True(defaultedRows == flagged, $"features_defaulted_rows is '{flagged}', expected '{defaultedRows}': {text}\n{current}");
        AssertSame(expected, Outputs(root), "REST", current);

        using var again = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([id, 1])));
        AssertSame(expected, Outputs(JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement), "REST again (near cache)", current);
        var grpc = await server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [id, 1]));
        AssertSame(expected, [.. grpc.Outputs[0].Contents.Fp32Contents], "gRPC", current);
        return response.StatusCode;
    }

    // With on_missing: error, what the 404 must say: the entity not stored, or its first field without a usable number.
    private static string? Missing(long id, double[]? usable) =>
        usable is null ? $"entity '{id}' is not in the feature store"
        : Array.FindIndex(usable, double.IsNaN) is >= 0 and var k ? $"entity '{id}' has no number the model can take for field '{Fields[k]}' in the feature store"
        : null;

    // A huge stored value is a number the model takes, and its answer may be NaN, which JSON holds as "NaN".
    private static float[] Outputs(JsonElement root) =>
        [.. root.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? float.Parse(e.GetString()!, CultureInfo.InvariantCulture) : (float)e.GetDouble())];

    private static void AssertSame(float[] expected, float[] actual, string how, string current) =>
        Assert.True(expected.SequenceEqual(actual), $"{how}: outputs [{string.Join(", ", actual)}], the same numbers inline give [{string.Join(", ", expected)}]\n{current}");

    private static ModelInferRequest InlineRequest(float[] values)
    {
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.Add(values.Length / Fields.Length);
        input.Shape.Add(Fields.Length);
        input.Contents.Fp32Contents.AddRange(values);
        request.Inputs.Add(input);
        return request;
    }

    // The entity's stored form before mutation: field → value text (hash), or the packed text's bytes.
    private static List<(byte[] Field, byte[] Value)> Text(double[] values) =>
        [.. Fields.Select((f, k) => (Encoding.UTF8.GetBytes(f), Encoding.UTF8.GetBytes(values[k].ToString("R", CultureInfo.InvariantCulture))))];

    private Task WriteAsync(string layout, string key, List<(byte[] Field, byte[] Value)> pairs) => layout == "hash"
        ? _redis.Database.HashSetAsync(key, [.. pairs.Select(p => new HashEntry(p.Field, p.Value))])
        : _redis.Database.StringSetAsync(key, Packed(pairs));

    private static byte[] Packed(List<(byte[] Field, byte[] Value)> pairs) => [.. pairs.SelectMany(p => (byte[])[.. p.Field, (byte)'=', .. p.Value, (byte)'\n'])];

    private async Task<Stored> StoreMutatedAsync(string layout, string key, double[] values, Random random)
    {
        var pairs = Text(values);
        var notes = new List<string>();
        for (var m = random.Next(1, 4); m > 0; m--)
        {
            var at = random.Next(pairs.Count + 1);
            switch (random.Next(6))
            {
                case 0 or 1 when pairs.Count > 0: // a value swapped for an odd one
                    var odd = OddValues[random.Next(OddValues.Length)];
                    at = random.Next(pairs.Count);
                    pairs[at] = (pairs[at].Field, odd);
                    notes.Add($"{Encoding.UTF8.GetString(pairs[at].Field)} = {Convert.ToBase64String(odd[..Math.Min(odd.Length, 64)])}{(odd.Length > 64 ? $" ({odd.Length} bytes)" : "")}");
                    break;
                case 2 when pairs.Count > 0: // a value's bytes mutated
                    at = random.Next(pairs.Count);
                    pairs[at] = (pairs[at].Field, ByteMutations.Mutate(pairs[at].Value, random));
                    notes.Add($"{Encoding.UTF8.GetString(pairs[at].Field)} = {Convert.ToBase64String(pairs[at].Value)}");
                    break;
                case 3 when pairs.Count > 0: // a field taken away
                    notes.Add($"no {Encoding.UTF8.GetString(pairs[Math.Min(at, pairs.Count - 1)].Field)}");
                    pairs.RemoveAt(Math.Min(at, pairs.Count - 1));
                    break;
                case 4: // a field added: unknown, a name like a field's, or a field again (packed: a later line wins)
                    byte[][] names = [.. new[] { "unknown", "mean_radius ", "MEAN_RADIUS", " mean_radius", "mean_radius\r", "" }.Select(Encoding.UTF8.GetBytes), pairs.Count > 0 ? pairs[random.Next(pairs.Count)].Field : [0x61]];
                    var name = names[random.Next(names.Length)];
                    var value = OddValues[random.Next(OddValues.Length)];
                    if (layout == "hash")
                    {
                        pairs.RemoveAll(p => p.Field.AsSpan().SequenceEqual(name)); // a hash holds a field once
                    }

                    at = Math.Min(at, pairs.Count);
                    pairs.Insert(at, (name, value));
                    notes.Add($"+ {Convert.ToBase64String(name)} = {Convert.ToBase64String(value[..Math.Min(value.Length, 64)])} at {at}");
                    break;
                default:
                    break;
            }
        }

        await _redis.Database.KeyDeleteAsync(key);
        var description = string.Join("; ", notes);
        switch (random.Next(12))
        {
            case 0: // another Redis type at the key
                switch (random.Next(4))
                {
                    case 0:
                        await _redis.Database.ListRightPushAsync(key, "1.5");
                        return new Stored(description + "; a list at the key", null);
                    case 1:
                        await _redis.Database.SetAddAsync(key, "mean_radius");
                        return new Stored(description + "; a set at the key", null);
                    case 2:
                        await _redis.Database.SortedSetAddAsync(key, "mean_radius", 1);
                        return new Stored(description + "; a sorted set at the key", null);
                    default: // the other layout's form
                        if (layout == "hash")
                        {
                            await _redis.Database.StringSetAsync(key, Packed(pairs));
                        }
                        else
                        {
                            await _redis.Database.HashSetAsync(key, [.. pairs.Where(p => p.Field.Length > 0).Select(p => new HashEntry(p.Field, p.Value))]);
                        }

                        return new Stored(description + "; the other layout's form", null);
                }

            case 1 or 2 when layout == "packed": // the blob's bytes mutated: cut, garbled
                var blob = ByteMutations.Mutate(Packed(pairs), random);
                await _redis.Database.StringSetAsync(key, blob);
                return new Stored($"{description}; then the blob mutated: {Convert.ToBase64String(blob)}", PackedMeaning(blob));
            case 3 when layout == "packed": // line ends as CRLF, blank lines
                var crlf = Packed(pairs).SelectMany(b => b == '\n' ? (byte[])[(byte)'\r', (byte)'\n', .. random.Next(3) == 0 ? "\n"u8 : []] : [b]).ToArray();
                await _redis.Database.StringSetAsync(key, crlf);
                return new Stored($"{description}; CRLF: {Convert.ToBase64String(crlf)}", PackedMeaning(crlf));
            default:
                break;
        }

        if (layout == "hash")
        {
            if (pairs.Count == 0)
            {
                return new Stored(description + "; nothing stored", null);
            }

            await WriteAsync(layout, key, pairs);
            return new Stored(description, HashMeaning(pairs));
        }

        var packed = Packed(pairs);
        await _redis.Database.StringSetAsync(key, packed);
        return new Stored(description + $" ({packed.Length} bytes)", PackedMeaning(packed));
    }

    // A hash: per field its value as double.TryParse reads it (a line break read as a space), NaN if absent or not a
    // number; no entity when the hash has none of the fields.
    private static double[]? HashMeaning(List<(byte[] Field, byte[] Value)> pairs)
    {
        var meaning = Fields.Select(f => pairs.FindLast(p => p.Field.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(f))) is { Field: not null } p
            ? Number([.. p.Value.Select(b => b == '\n' ? (byte)' ' : b)])
            : (double?)null).ToArray();
        return meaning.All(v => v is null) ? null : [.. meaning.Select(v => v ?? double.NaN)];
    }

    // A packed string: per line (its '\r' at the end dropped) the name before the first '=' and the value after it; a
    // field's last line wins; no entity when no line names a field.
    private static double[]? PackedMeaning(byte[] packed)
    {
        var meaning = new double?[Fields.Length];
        foreach (var line in Encoding.Latin1.GetString(packed).Split('\n'))
        {
            var text = line.EndsWith('\r') ? line[..^1] : line;
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            var field = equals > 0 ? Array.IndexOf(Fields, text[..equals]) : -1;
            if (field >= 0)
            {
                meaning[field] = Number(Encoding.Latin1.GetBytes(text[(equals + 1)..]));
            }
        }

        return meaning.All(v => v is null) ? null : [.. meaning.Select(v => v ?? double.NaN)];
    }

    private static double Number(byte[] utf8) => double.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
}
