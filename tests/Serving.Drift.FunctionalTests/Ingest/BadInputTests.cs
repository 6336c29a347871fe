using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>Bad input reaches the monitor over real gRPC: it counts, refuses with a reason, or ends one stream — never the process.</summary>
public sealed class BadInputTests
{
    private readonly ReferenceRows _rows = ReferenceRows.Load("tabular", "1");

    [Fact]
    public async Task UnknownModelVersion_CountedAndArchived_NotScored()
    {
        await using var drift = await DriftServer.StartAsync();
        await using var client = new IngestClient(drift);

        var ack = await client.SendAsync(Batches.ReferenceBatch(_rows, new Random(1), 20, "v99", version: "99"));

        Assert.Equal(20, ack.Accepted);
        Assert.Equal(0, ack.Rejected);
        Assert.Equal(20, drift.ArchivedLines().Count(l => l.Contains("\"status\":\"unknown_version\"", StringComparison.Ordinal)));
        Assert.Equal(0, drift.Version("tabular", "1").RecordsSeen);

        using var report = JsonDocument.Parse(await drift.Http.GetStringAsync("/v2/drift/report"));
        var root = report.RootElement;
        Assert.Equal(20, root.GetProperty("totals").GetProperty("unknown_version").GetInt64());
        var unknown = Assert.Single(root.GetProperty("unknown_versions").EnumerateArray());
        Assert.Equal("99", unknown.GetProperty("version").GetString());
        Assert.Equal(20, unknown.GetProperty("records").GetInt64());
        Assert.DoesNotContain(root.GetProperty("versions").EnumerateArray(), v => v.GetProperty("version").GetString() == "99");
        using var missing = await drift.Http.GetAsync("/v2/drift/report/tabular/99");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("serving_drift_records_unknown_version_total", await drift.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongNumberOfFeatures_RecordRefusedWithReason_TheRestAccepted()
    {
        await using var drift = await DriftServer.StartAsync();
        await using var client = new IngestClient(drift);
        var good = _rows.Draw(new Random(2), 1)[0].Select(v => (double)v).ToArray();
        var shortSchema = Batches.Schema("tabular", "1", Enumerable.Range(0, 29).Select(i => $"input[{i}]"));
        var batch = new PredictionLogBatch
        {
            Schemas = { Batches.Tabular(), shortSchema },
            Records =
            {
                Batches.Record(0, "short", good[..29]),
                Batches.Record(0, "good", good),
                Batches.Record(1, "short-schema", good[..29]),
                new PredictionRecord(Batches.Record(0, "one-output", good)) { Outputs = { 0.5 } },
            },
        };

        var ack = await client.SendAsync(batch);

        Assert.Equal(1, ack.Accepted);
        Assert.Equal(3, ack.Rejected);
        Assert.Equal([0, 2, 3], ack.Rejections.Select(r => r.Index));
        Assert.Contains("wrong number of features", ack.Rejections[0].Reason, StringComparison.Ordinal);
        Assert.Contains("29 feature value(s)", ack.Rejections[0].Reason, StringComparison.Ordinal);
        Assert.Contains("expects 30 features", ack.Rejections[1].Reason, StringComparison.Ordinal);
        Assert.Contains("wrong number of outputs", ack.Rejections[2].Reason, StringComparison.Ordinal);
        Assert.Contains("\"request_id\":\"good\"", Assert.Single(drift.ArchivedLines()), StringComparison.Ordinal);
        Assert.Equal(1, drift.Version("tabular", "1").RecordsSeen);
        Assert.Equal(3, drift.Monitor.Rejected);
    }

    [Fact]
    public async Task SchemaIndexOutOfRange_EndsThatStreamOnly()
    {
        await using var drift = await DriftServer.StartAsync();
        await using var healthy = new IngestClient(drift);
        await healthy.SendAsync(Batches.ReferenceBatch(_rows, new Random(4), 5, "before"));
        await using var broken = new IngestClient(drift);
        var batch = Batches.ReferenceBatch(_rows, new Random(5), 5, "bad");
        batch.Records[3].Schema = 7;

        var error = await broken.SendExpectingFailureAsync(batch);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("record 3 names schema 7, but the batch has 1 schema(s)", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(5, (await healthy.SendAsync(Batches.ReferenceBatch(_rows, new Random(6), 5, "after"))).Accepted);
        Assert.DoesNotContain(drift.ArchivedLines(), l => l.Contains("\"bad-", StringComparison.Ordinal));
    }

    /// <summary>
    /// Streams ended by a batch that breaks the contract, each followed by a few streams at once on the same connection
    /// (as workers reopen theirs): every one of those is served. The refused stream's handler returned with its read
    /// of the next batch still pending; Kestrel pools a finished stream's request body for the connection's later
    /// streams, and one that got it failed its first read, "Reading is already in progress": it ended UNKNOWN
    /// ("Exception was thrown by handler."), and a worker would send its batches into the same trap again (seen by
    /// the ingest stream sweep, IngestStreamFuzzTests).
    /// </summary>
    [Fact]
    public async Task StreamsEndedByAContractRefusal_LaterStreamsOnTheSameConnectionServed()
    {
        const int Rounds = 50, Concurrent = 6;
        await using var drift = await DriftServer.StartAsync();
        using var channel = GrpcChannel.ForAddress(drift.Endpoint);
        var client = new PredictionLogService.PredictionLogServiceClient(channel);
        var random = new Random(31);
        var served = 0;
        for (var round = 0; round < Rounds; round++)
        {
            using (var refused = client.Ingest())
            {
                await refused.RequestStream.WriteAsync(Numbered(Batches.ReferenceBatch(_rows, random, 3, $"ok{round}"), 1));
                Assert.True(await refused.ResponseStream.MoveNext(CancellationToken.None));
                var bad = Numbered(Batches.ReferenceBatch(_rows, random, 3, $"bad{round}"), 2);
                bad.Records[1].Schema = 5;
                await refused.RequestStream.WriteAsync(bad);
                var error = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(CancellationToken.None));
                Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);

                // The sender ends its side too, as a client that sees the call over does.
                await refused.RequestStream.CompleteAsync();
            }

            var batches = Enumerable.Range(0, Concurrent).Select(k => Numbered(Batches.ReferenceBatch(_rows, random, 3, $"next{round}-{k}"), 1)).ToArray();
            await Task.WhenAll(batches.Select(async (batch, k) =>
            {
                using var next = client.Ingest();
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await next.RequestStream.WriteAsync(batch, bound.Token);
                    Assert.True(await next.ResponseStream.MoveNext(bound.Token), $"round {round}, stream {k}: no ack");
                    Assert.Equal(3, next.ResponseStream.Current.Accepted);
                    await next.RequestStream.CompleteAsync();
                    Assert.False(await next.ResponseStream.MoveNext(bound.Token));
                }
                catch (RpcException e)
                {
                    Assert.Fail($"round {round}, stream {k}: {e.Status} after {served} streams served");
                }

                Interlocked.Increment(ref served);
            }));
        }

        Assert.Equal(Rounds * 3 * (1 + Concurrent), drift.ArchivedLines().Count);
        Assert.DoesNotContain(drift.ArchivedLines(), l => l.Contains("\"bad", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MoreRecordsThanMaxRecordsPerBatch_EndThatStreamOnly_NothingOfItArchived()
    {
        await using var drift = await DriftServer.StartAsync(new Dictionary<string, string?> { ["Serving:Drift:MaxRecordsPerBatch"] = "4" });
        await using var healthy = new IngestClient(drift);
        await healthy.SendAsync(Batches.ReferenceBatch(_rows, new Random(11), 4, "before"));
        await using var broken = new IngestClient(drift);

        var error = await broken.SendExpectingFailureAsync(Batches.ReferenceBatch(_rows, new Random(12), 5, "big"));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("holds 5 records; at most 4 are accepted", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(4, (await healthy.SendAsync(Batches.ReferenceBatch(_rows, new Random(13), 4, "after"))).Accepted);
        Assert.DoesNotContain(drift.ArchivedLines(), l => l.Contains("\"big-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GzipCompressedBatch_AcceptedAndArchived_AsAnUncompressedOne()
    {
        await using var drift = await DriftServer.StartAsync();
        var batch = Batches.ReferenceBatch(_rows, new Random(14), 50, "zipped");
        batch.Sequence = 1;
        using var http = new HttpClient();
        using var request = RawIngest(drift, GzipFrame(batch, close: true), "gzip");

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal(0, body[0]); // the ack itself is not compressed
        var ack = IngestAck.Parser.ParseFrom(body.AsSpan(5, (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1))));
        Assert.Equal(1UL, ack.Sequence);
        Assert.Equal(50, ack.Accepted);
        Assert.Equal(50, drift.ArchivedLines().Count(l => l.Contains("\"zipped-", StringComparison.Ordinal)));
    }

    /// <summary>
    /// A batch compressed by a sender that took its compressor's output after a flush but before closing it holds every
    /// record but not gzip's trailer: the stream ends INVALID_ARGUMENT saying so, and nothing of it is archived. .NET's
    /// decoder inflated it without a word: the records were archived and acknowledged, and a batch cut between two
    /// records was archived as a smaller batch.
    /// </summary>
    [Fact]
    public async Task GzipBatchWithoutItsEnd_InvalidArgumentSayingSo_NothingOfItArchived()
    {
        await using var drift = await DriftServer.StartAsync();
        var batch = Batches.ReferenceBatch(_rows, new Random(15), 50, "unclosed");
        batch.Sequence = 1;
        using var http = new HttpClient();
        using var request = RawIngest(drift, GzipFrame(batch, close: false), "gzip");

        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        var (status, message) = GrpcStatus(response);

        Assert.True(status == "3", $"grpc-status {status} {message}");
        Assert.Contains("the gzip data stops before its end", message, StringComparison.Ordinal);
        Assert.DoesNotContain(drift.ArchivedLines(), l => l.Contains("\"unclosed-", StringComparison.Ordinal));
    }

    public static TheoryData<string, byte[], string, string> UnreadableFrames => new()
    {
        { "compressed flag, bytes that are not gzip", [1, 0, 0, 0, 7, .. "notgzip"u8.ToArray()], "gzip", "could not be read" },
        { "length 2^32 - 1", [0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A, 0x00], "", "declares a length of 2 GiB or more" },
        { "length 2^31", [0, 0x80, 0, 0, 0], "", "declares a length of 2 GiB or more" },
    };

    /// <summary>
    /// A gRPC frame the framework can't read while its sender is still there ends that stream with INVALID_ARGUMENT and a
    /// reason: not UNKNOWN (a gzip flag on bytes that aren't gzip), and not OK as if the sender had gone (a length of
    /// 2 GiB or more, which left what followed it unacknowledged without a word).
    /// </summary>
    [Theory]
    [MemberData(nameof(UnreadableFrames))]
    public async Task UnreadableGrpcFrame_InvalidArgumentWithReason_OtherStreamsGoOn(string what, byte[] body, string encoding, string reason)
    {
        await using var drift = await DriftServer.StartAsync();
        await using var healthy = new IngestClient(drift);
        Assert.Equal(5, (await healthy.SendAsync(Batches.ReferenceBatch(_rows, new Random(21), 5, "before"))).Accepted);
        using var http = new HttpClient();
        using var request = RawIngest(drift, body, encoding);

        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        var (status, message) = GrpcStatus(response);

        Assert.True(status == ((int)StatusCode.InvalidArgument).ToString(System.Globalization.CultureInfo.InvariantCulture), $"{what}: grpc-status {status} {message}");
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.Equal(5, (await healthy.SendAsync(Batches.ReferenceBatch(_rows, new Random(22), 5, "after"))).Accepted);
    }

    [Fact]
    public async Task BytesThatAreNotABatch_EndThatStreamOnly()
    {
        await using var drift = await DriftServer.StartAsync();
        await using var healthy = new IngestClient(drift);
        await healthy.SendAsync(Batches.ReferenceBatch(_rows, new Random(8), 5, "before"));
        using var channel = GrpcChannel.ForAddress(drift.Endpoint);
        var raw = new Marshaller<byte[]>(bytes => bytes, bytes => bytes);
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, "serving.logs.v1.PredictionLogService", "Ingest", raw, raw);
        using var garbage = channel.CreateCallInvoker().AsyncDuplexStreamingCall(method, null, new CallOptions());

        // Field number 0 is never valid protobuf.
        await garbage.RequestStream.WriteAsync([0x00, 0x01, 0x02]);
        var error = await Assert.ThrowsAsync<RpcException>(() => garbage.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("not a PredictionLogBatch", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(5, (await healthy.SendAsync(Batches.ReferenceBatch(_rows, new Random(9), 5, "after"))).Accepted);
        await using var fresh = new IngestClient(drift);
        Assert.Equal(5, (await fresh.SendAsync(Batches.ReferenceBatch(_rows, new Random(10), 5, "fresh"))).Accepted);
    }

    // One gRPC message with its compressed flag set, as any gRPC client sends it with grpc-encoding: gzip; its compressor
    // closed, or only flushed (every record, but not gzip's end).
    private static byte[] GzipFrame(PredictionLogBatch batch, bool close) =>
        Serving.Testing.RawGrpc.Frame(Serving.Testing.Compressed.Of(batch.ToByteArray(), "gzip", close), compressed: true);

    // A call's status and message: in its trailers, or in its headers when it ended before any message (trailers-only).
    private static (string Status, string Message) GrpcStatus(HttpResponseMessage response)
    {
        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.Single() : response.Headers.GetValues("grpc-status").Single();
        var message = response.TrailingHeaders.TryGetValues("grpc-message", out var m) ? m.Single() : response.Headers.TryGetValues("grpc-message", out var hm) ? hm.Single() : "(none)";
        return (status, Uri.UnescapeDataString(message));
    }

    // An Ingest call whose body is exactly these bytes (gRPC frames as given), over HTTP/2, as a gRPC client sends it.
    private static HttpRequestMessage RawIngest(DriftServer drift, byte[] body, string encoding)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(drift.Endpoint), "/serving.logs.v1.PredictionLogService/Ingest"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        if (encoding.Length > 0)
        {
            request.Headers.Add("grpc-encoding", encoding);
        }

        request.Headers.TE.ParseAdd("trailers");
        return request;
    }

    private static PredictionLogBatch Numbered(PredictionLogBatch batch, ulong sequence)
    {
        batch.Sequence = sequence;
        return batch;
    }
}
