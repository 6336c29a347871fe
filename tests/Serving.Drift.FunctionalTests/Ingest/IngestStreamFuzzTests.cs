using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Protocol.PredictionLogs;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>
/// Seeded mutation sweep of the ingest stream through a real monitor (Kestrel on 127.0.0.1, Grpc.Net.Client): streams
/// of valid tabular batches (reference rows, an unknown version, records with a wrong number of features or outputs,
/// categorical features, arms, unicode ids) and mutated ones (<see cref="WireMutations"/> on the message's bytes, sent as
/// they are), one at a time or pipelined. Each batch is acknowledged, or ends its stream with INVALID_ARGUMENT and a
/// reason (and none after it is acknowledged); nothing hangs; the next stream is served. The acknowledged batches are
/// read by Google.Protobuf (which must read them): a record with the wrong number of features or outputs is refused in
/// the ack, one of a version without a profile is accepted; and the archive then holds exactly the accepted records,
/// each once, with the content Google.Protobuf read (nothing of a refused batch or record). The monitor's counters and
/// the Prometheus series agree with the acks.
/// </summary>
public sealed class IngestStreamFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // Streams per run: 40 in CI (a few seconds); set INGEST_STREAM_FUZZ_STREAMS for a longer search.
    private static readonly int Streams = int.TryParse(Environment.GetEnvironmentVariable("INGEST_STREAM_FUZZ_STREAMS"), out var n) && n > 0 ? n : 40;

    private const int Seed = 4049;

    private const int MaxRecords = 40;

    // A new connection every so many streams: on one connection, some 500 of this sweep's streams in (most of them
    // refused), Kestrel reset new streams with ENHANCE_YOUR_CALM, its HTTP/2 abuse guard, which is no part of this sweep.
    private const int StreamsPerConnection = 200;

    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(20);

    private static readonly Marshaller<byte[]> Raw = new(bytes => bytes, bytes => bytes);

    private static readonly Method<byte[], byte[]> Ingest = new(MethodType.DuplexStreaming, "serving.logs.v1.PredictionLogService", "Ingest", Raw, Raw);

    private static readonly string[] Ids = ["ü-β", "😀", "a\"b\\c", "tab\tnew\nline", "", "<script>", "\u0001"];

    private readonly ReferenceRows _rows = ReferenceRows.Load("tabular", "1");

    [Fact]
    public async Task MutatedStreams_AckedOrInvalidArgument_ArchiveHoldsExactlyTheAcceptedRecords_CountersAgree()
    {
        await using var drift = await DriftServer.StartAsync(new Dictionary<string, string?> { ["Serving:Drift:MaxRecordsPerBatch"] = MaxRecords.ToString(CultureInfo.InvariantCulture) });
        var channel = GrpcChannel.ForAddress(drift.Endpoint);
        var invoker = channel.CreateCallInvoker();
        var before = await Series();
        var random = new Random(Seed);
        var expected = new List<string>();
        var failures = new List<string>();
        var (acked, ended, accepted, rejected, unknown, received) = (0, 0, 0L, 0L, 0L, 0L);
        var outcomes = new Queue<string>();

        for (var s = 0; s < Streams; s++)
        {
            if (s > 0 && s % StreamsPerConnection == 0)
            {
                channel.Dispose();
                channel = GrpcChannel.ForAddress(drift.Endpoint);
                invoker = channel.CreateCallInvoker();
            }

            // One batch at a time, or (one stream in three) all written before any ack is read, as the worker pipelines them.
            using var call = invoker.AsyncDuplexStreamingCall(Ingest, null, new CallOptions());
            var pipelined = random.Next(3) == 0;
            var batches = Enumerable.Range(0, random.Next(1, 5)).Select(b =>
            {
                var valid = Batch(random, s, b).ToByteArray();
                return random.Next(3) == 0 ? valid : WireMutations.Mutate(valid, random, PredictionLogWire.HoldsMessage);
            }).ToArray();
            var sent = batches.Select((bytes, b) => $"seed {Seed}, stream {s}, batch {b}{(pipelined ? " (pipelined)" : "")}: {Convert.ToBase64String(bytes)}").ToList();
            if (pipelined)
            {
                await WriteAllAsync(call, batches);
            }

            for (var b = 0; b < batches.Length; b++)
            {
                var (bytes, current) = (batches[b], sent[b]);
                if (!pipelined)
                {
                    await call.RequestStream.WriteAsync(bytes);
                }

                var (ack, error) = await ReceiveAsync(call, current);
                var oracle = Parse(bytes);
                outcomes.Enqueue($"stream {s}, batch {b}: {(error is null ? "acknowledged" : error.Status.Detail)}");
                if (outcomes.Count > 12)
                {
                    outcomes.Dequeue();
                }

                if (error is not null)
                {
                    if (error.StatusCode != StatusCode.InvalidArgument || !IsReason(error.Status.Detail))
                    {
                        failures.Add($"{current}: the stream ended {error.StatusCode} '{error.Status.Detail}', not INVALID_ARGUMENT with a reason");
                    }

                    ended++;
                    break;
                }

                if (oracle is null)
                {
                    failures.Add($"{current}: acknowledged, but Google.Protobuf refuses the bytes");
                    break;
                }

                acked++;
                received += oracle.Records.Count;
                var problem = CheckAck(drift, oracle, ack!, expected);
                if (problem is not null)
                {
                    failures.Add($"{current}: {problem}");
                }

                accepted += ack!.Accepted;
                rejected += ack.Rejected;
                unknown += oracle.Records.Where((r, i) => !ack.Rejections.Any(j => j.Index == i) && Status(drift, oracle.Schemas[r.Schema]) == "unknown_version").Count();
                if (!pipelined && random.Next(4) == 0)
                {
                    break;
                }
            }

            if (await EndAsync(call) is { } end)
            {
                failures.Add($"{string.Join("\n", sent)}\nthen the stream's end: {end}\n(the last outcomes: {string.Join("; ", outcomes)})");
            }

            Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)));
        }

        // The monitor still serves a fresh stream after all that.
        using var lastChannel = channel;
        using (var last = invoker.AsyncDuplexStreamingCall(Ingest, null, new CallOptions()))
        {
            var batch = Batches.ReferenceBatch(_rows, random, 5, "last");
            await last.RequestStream.WriteAsync(batch.ToByteArray());
            var (ack, error) = await ReceiveAsync(last, "the last, valid batch");
            Assert.Null(error);
            Assert.Equal(5, ack!.Accepted);
            accepted += 5;
            received += 5;
            acked++;
            expected.AddRange(batch.Records.Select(r => Line(batch.Schemas[0], r, "scored")));
            Assert.Null(await EndAsync(last));
        }

        // Exactly the accepted records, each once, as Google.Protobuf read them.
        var archived = drift.ArchivedLines().Select(Canonical).Order(StringComparer.Ordinal).ToArray();
        var missing = expected.Except(archived).Take(3).ToArray();
        var extra = archived.Except(expected).Take(3).ToArray();
        Assert.True(missing.Length == 0 && extra.Length == 0, $"archived lines differ from the accepted records:\nmissing {string.Join("\n", missing)}\nextra {string.Join("\n", extra)}");
        Assert.Equal(expected.Order(StringComparer.Ordinal), archived);

        output.WriteLine($"{Streams} streams: {acked} batches acknowledged ({accepted} records accepted, {rejected} refused, {unknown} of an unknown version), {ended} streams ended INVALID_ARGUMENT");

        // Both outcomes were exercised, or the sweep proves little.
        Assert.True(acked > Streams / 2, $"acked {acked}");
        Assert.True(ended > Streams / 5, $"ended {ended}");
        Assert.True(rejected > 0 && unknown > 0, $"rejected {rejected}, unknown version {unknown}");

        Assert.Equal((received, accepted, rejected, unknown), (drift.Monitor.Received, drift.Monitor.Archived, drift.Monitor.Rejected, drift.Monitor.UnknownVersionRecords));
        var after = await Series();
        Assert.Equal((double)received, after.Received - before.Received);
        Assert.Equal((double)accepted, after.Archived - before.Archived);
        Assert.Equal((double)rejected, after.Rejected - before.Rejected);
        Assert.Equal((double)unknown, after.Unknown - before.Unknown);
        Assert.Equal((double)ended, after.Malformed - before.Malformed);
    }

    // A stream's refusal says what is wrong with the batch or the message.
    private static bool IsReason(string detail) =>
        detail.StartsWith("a message on the stream is not a PredictionLogBatch (", StringComparison.Ordinal)
        || (detail.StartsWith("batch ", StringComparison.Ordinal) && detail.Length > 20);

    private static PredictionLogBatch? Parse(byte[] bytes)
    {
        try
        {
            return PredictionLogBatch.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    // Writes every message; the monitor may end the stream on one of them, and the rest are not written.
    private static async Task WriteAllAsync(AsyncDuplexStreamingCall<byte[], byte[]> call, IEnumerable<byte[]> messages)
    {
        try
        {
            foreach (var message in messages)
            {
                await call.RequestStream.WriteAsync(message);
            }
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // Ended by the monitor: the acks read next say on which batch.
        }
    }

    // Waits (bounded) for the next ack or for the stream's end.
    private static async Task<(IngestAck? Ack, RpcException? Error)> ReceiveAsync(AsyncDuplexStreamingCall<byte[], byte[]> call, string current)
    {
        using var bound = new CancellationTokenSource(AnswerBound);
        try
        {
            return await call.ResponseStream.MoveNext(bound.Token)
                ? (IngestAck.Parser.ParseFrom(call.ResponseStream.Current), null)
                : throw new Xunit.Sdk.XunitException($"{current}: the stream ended OK without an ack");
        }
        catch (RpcException e) when (!bound.IsCancellationRequested)
        {
            return (null, e);
        }
        catch (Exception e) when (bound.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"{current}: neither an ack nor the stream's end within {AnswerBound} (a hang?): {e.Message}");
        }
    }

    // Ends the stream from this side: null when it ends OK, or had already ended INVALID_ARGUMENT; else what was wrong.
    private static async Task<string?> EndAsync(AsyncDuplexStreamingCall<byte[], byte[]> call)
    {
        using var bound = new CancellationTokenSource(AnswerBound);
        try
        {
            await call.RequestStream.CompleteAsync();
            return await call.ResponseStream.MoveNext(bound.Token) ? "an ack nothing was sent for" : null;
        }
        catch (InvalidOperationException)
        {
            // Already ended by the monitor: the request stream can't be completed.
            return call.GetStatus().StatusCode == StatusCode.InvalidArgument ? null : $"ended {call.GetStatus()}";
        }
        catch (RpcException e)
        {
            return e.StatusCode == StatusCode.InvalidArgument && !bound.IsCancellationRequested ? null : $"ended {e.Status}";
        }
    }

    // The ack's word on each record against the rules, and the accepted ones added to what the archive must hold. Null when all is well.
    private static string? CheckAck(DriftServer drift, PredictionLogBatch batch, IngestAck ack, List<string> expected)
    {
        if (ack.Sequence != batch.Sequence || ack.Accepted + ack.Rejected != batch.Records.Count || ack.Rejections.Count != ack.Rejected)
        {
            return $"ack {ack} for sequence {batch.Sequence} with {batch.Records.Count} records";
        }

        var refused = ack.Rejections.ToDictionary(r => r.Index, r => r.Reason);
        for (var i = 0; i < batch.Records.Count; i++)
        {
            var record = batch.Records[i];
            var schema = batch.Schemas[record.Schema];
            var outputs = schema.OutputSizes.Sum(size => (long)size);
            var status = Status(drift, schema);
            if (record.Features.Count != schema.FeatureNames.Count && !(refused.TryGetValue(i, out var reason) && reason.StartsWith("wrong number of features", StringComparison.Ordinal)))
            {
                return $"record {i} has {record.Features.Count} features for {schema.FeatureNames.Count} names, but is not refused for it";
            }

            if (record.Features.Count == schema.FeatureNames.Count && record.Outputs.Count != outputs && !(refused.TryGetValue(i, out reason) && reason.StartsWith("wrong number of outputs", StringComparison.Ordinal)))
            {
                return $"record {i} has {record.Outputs.Count} outputs for {outputs}, but is not refused for it";
            }

            if (record.Features.Count == schema.FeatureNames.Count && record.Outputs.Count == outputs && status == "unknown_version" && refused.ContainsKey(i))
            {
                return $"record {i} of a version without a profile was refused: {refused[i]}";
            }

            if (!refused.ContainsKey(i))
            {
                expected.Add(Line(schema, record, status));
            }
        }

        return null;
    }

    private static string Status(DriftServer drift, RecordSchema schema) => drift.Monitor.Find(schema.Model, schema.Version) is null ? "unknown_version" : "scored";

    // What an archived line holds, as text: names, ids and labels as strings, numbers as their JSON text.
    private static string Line(RecordSchema schema, PredictionRecord record, string status)
    {
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{schema.Model}|{schema.Version}|{status}|{record.RequestId}|{record.TimestampUnixNanos}|{Number(record.LatencyMs, false)}|{record.Arm}|");
        for (var f = 0; f < record.Features.Count; f++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{schema.FeatureNames[f]}={Number(record.Features[f], Flag(schema.FeatureSinglePrecision, f))},");
        }

        text.Append('|').AppendJoin(',', record.CategoricalFeatures.Select(c => $"{c.Key}={c.Value}")).Append('|');
        var offset = 0;
        for (var o = 0; o < schema.OutputNames.Count; o++)
        {
            text.Append(schema.OutputNames[o]).Append('=');
            for (var k = 0; k < schema.OutputSizes[o]; k++)
            {
                text.Append(Number(record.Outputs[offset + k], Flag(schema.OutputSinglePrecision, o))).Append(' ');
            }

            offset += schema.OutputSizes[o];
            text.Append(',');
        }

        return text.ToString();
    }

    private static string Canonical(string line)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        var arm = root.TryGetProperty("arm", out var a) ? a.GetString() : "";
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{root.GetProperty("model").GetString()}|{root.GetProperty("version").GetString()}|{root.GetProperty("status").GetString()}|")
            .Append(CultureInfo.InvariantCulture, $"{root.GetProperty("request_id").GetString()}|{root.GetProperty("timestamp_unix_nanos").GetRawText()}|{root.GetProperty("latency_ms").GetRawText()}|{arm}|");
        foreach (var feature in root.GetProperty("features").EnumerateObject())
        {
            text.Append(CultureInfo.InvariantCulture, $"{feature.Name}={feature.Value.GetRawText()},");
        }

        text.Append('|');
        if (root.TryGetProperty("categorical_features", out var categorical))
        {
            text.AppendJoin(',', categorical.EnumerateObject().Select(c => $"{c.Name}={c.Value.GetString()}"));
        }

        text.Append('|');
        foreach (var output in root.GetProperty("outputs").EnumerateObject())
        {
            text.Append(output.Name).Append('=');
            foreach (var value in output.Value.EnumerateArray())
            {
                text.Append(value.GetRawText()).Append(' ');
            }

            text.Append(',');
        }

        return text.ToString();
    }

    private static bool Flag(IReadOnlyList<bool> flags, int index) => flags.Count > index && flags[index];

    // A value as System.Text.Json writes it: null when not finite, a float's shortest form when flagged and exactly a float.
    private static string Number(double value, bool single)
    {
        if (!double.IsFinite(value))
        {
            return "null";
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (single && (double)(float)value == value)
            {
                writer.WriteNumberValue((float)value);
            }
            else
            {
                writer.WriteNumberValue(value);
            }
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // A valid batch: tabular v1 reference records, sometimes of an unknown version or with records that break the rules.
    private PredictionLogBatch Batch(Random random, int stream, int index)
    {
        var count = random.Next(12) == 0 ? MaxRecords + 1 : random.Next(1, 10);
        var prefix = $"s{stream}b{index}";
        var batch = Batches.ReferenceBatch(_rows, random, count, prefix);
        batch.Sequence = (ulong)index + 1;
        batch.Schemas.Add(Batches.Tabular(random.Next(2) == 0 ? "99" : "2"));
        foreach (var record in batch.Records)
        {
            switch (random.Next(12))
            {
                case 0:
                    record.Schema = 1; // an unknown version (99) or a known one (2)
                    break;
                case 1:
                    record.Features.RemoveAt(0); // a wrong number of features
                    break;
                case 2:
                    record.Outputs.Add(0.5); // a wrong number of outputs
                    break;
                case 3:
                    record.CategoricalFeatures["colour"] = random.Next(2) == 0 ? "red" : "grün";
                    break;
                case 4:
                    record.Arm = random.Next(2) == 0 ? "canary" : "stable";
                    break;
                case 5:
                    record.RequestId = prefix + Ids[random.Next(Ids.Length)];
                    break;
                case 6:
                    record.Features[random.Next(record.Features.Count)] = random.Next(2) == 0 ? double.NaN : double.PositiveInfinity;
                    break;
            }
        }

        return batch;
    }

    private static async Task<(double Received, double Archived, double Rejected, double Unknown, double Malformed)> Series()
    {
        return (
            await MetricsText.ValueAsync("serving_drift_records_received_total"),
            await MetricsText.ValueAsync("serving_drift_records_archived_total"),
            await MetricsText.ValueAsync("serving_drift_records_rejected_total{reason=\"feature_count\"}") + await MetricsText.ValueAsync("serving_drift_records_rejected_total{reason=\"output_count\"}"),
            await MetricsText.ValueAsync("serving_drift_records_unknown_version_total"),
            await MetricsText.ValueAsync("serving_drift_streams_failed_total{reason=\"malformed\"}"));
    }
}
