using System.IO.Compression;
using Microsoft.Extensions.Logging;

namespace Serving.Testing;

/// <summary>
/// The gRPC HTTP/2 sweep's loop and oracle, shared by the worker's and the gateway's (linked into the gateway's tests):
/// sends each <see cref="GrpcCallMutations"/> case over a bare HTTP/2 connection and checks that it is answered within a
/// bound (never a hang), with the case's HTTP status and gRPC status and a message, or the clean call's answer; that
/// nothing was logged at Error or above; and that a clean call on a new connection is answered right after it.
/// </summary>
internal sealed class GrpcHttp2Sweep(int port, GrpcCallMutations mutations, params CapturingLoggerProvider[] logs)
{
    /// <summary>The longest a case may go unanswered: far past any deadline a case sets, short of a hang.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private byte[]? _clean;

    /// <summary>
    /// Runs <paramref name="iterations"/> cases from <paramref name="seed"/>, each on a connection of its own, leaving out
    /// those <paramref name="open"/> names (known wrong, not yet fixed: counted as "left out"); how many ended how.
    /// </summary>
    public async Task<Dictionary<string, int>> RunAsync(int seed, int iterations, Func<GrpcCallCase, bool> open)
    {
        var random = new Random(seed);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        await CheckCleanAsync("the start");
        for (var i = 0; i < iterations; i++)
        {
            var @case = mutations.Next(random);
            var what = @case.Describe(seed, i);
            if (open(@case))
            {
                outcomes["left out"] = outcomes.GetValueOrDefault("left out") + 1;
                continue;
            }

            await using (var connection = await Http2Connection.OpenAsync(port))
            {
                var answer = await SendAsync(connection, 1, @case);
                await CheckAsync(@case, answer, what);
                Count(outcomes, answer);
            }

            await CheckCleanAsync(what);
        }

        return outcomes;
    }

    /// <summary>
    /// Rounds of <paramref name="perConnection"/> cases at once, each on its own stream of one connection, every third of
    /// them a clean call; each answered as it should be, whatever its neighbours did.
    /// </summary>
    public async Task<Dictionary<string, int>> RunSharedAsync(int seed, int rounds, int perConnection, Func<GrpcCallCase, bool> open)
    {
        var random = new Random(seed);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        await CheckCleanAsync("the start");
        for (var round = 0; round < rounds; round++)
        {
            var cases = new List<GrpcCallCase>();
            while (cases.Count < perConnection)
            {
                var @case = cases.Count % 3 == 2 ? mutations.Clean() : mutations.Next(random);
                if (GrpcCallMutations.SharesAConnection(@case.Kind) && !open(@case))
                {
                    cases.Add(@case);
                }
            }

            await using var connection = await Http2Connection.OpenAsync(port);
            var answers = await Task.WhenAll(cases.Select((c, n) => SendAsync(connection, 1 + (2 * n), c)));
            for (var n = 0; n < cases.Count; n++)
            {
                await CheckAsync(cases[n], answers[n], $"round {round}, stream {1 + (2 * n)}: {cases[n].Describe(seed, (round * perConnection) + n)}");
                Count(outcomes, answers[n]);
            }

            await CheckCleanAsync($"round {round}");
        }

        return outcomes;
    }

    /// <summary>Sends <paramref name="case"/> on stream <paramref name="streamId"/>; what came back (nothing is owed to a stream the client reset).</summary>
    public static async Task<Http2Answer> SendAsync(Http2Connection connection, int streamId, GrpcCallCase @case)
    {
        var body = @case.Body;
        switch (@case.Ending)
        {
            case GrpcCallEnding.ResetAfterHeaders:
                await connection.HeadersAsync(streamId, @case.Headers, endStream: false);
                await connection.ResetAsync(streamId);
                return await connection.AnswerAsync(streamId, TimeSpan.FromMilliseconds(200));
            case GrpcCallEnding.ResetMidBody:
                await connection.HeadersAsync(streamId, @case.Headers, endStream: false);
                await connection.DataAsync(streamId, body.AsSpan(0, body.Length / 2), endStream: false, @case.FrameSize);
                await connection.ResetAsync(streamId);
                return await connection.AnswerAsync(streamId, TimeSpan.FromMilliseconds(200));
            case GrpcCallEnding.PauseThenEnd or GrpcCallEnding.NeverEnded:
                await connection.HeadersAsync(streamId, @case.Headers, endStream: false);
                await connection.DataAsync(streamId, body, endStream: false, @case.FrameSize);
                if (@case.Ending == GrpcCallEnding.PauseThenEnd)
                {
                    await Task.Delay(1000);
                    await connection.DataAsync(streamId, [], endStream: true);
                }

                return await connection.AnswerAsync(streamId, Wait);
            default:
                try
                {
                    await connection.HeadersAsync(streamId, @case.Headers, endStream: body.Length == 0);
                    if (body.Length > 0)
                    {
                        await connection.DataAsync(streamId, body, endStream: true, @case.FrameSize);
                    }

                    if (@case.Ending == GrpcCallEnding.WholeThenGoAway)
                    {
                        await connection.GoAwayAsync(0);
                    }
                }
                catch (IOException)
                {
                    // The server closed the connection on the headers (Kestrel does, for a te it refuses) while the body
                    // was still being written ("Broken pipe", seen once in CI): what came back says what it did.
                }

                return await connection.AnswerAsync(streamId, Wait);
        }
    }

    /// <summary>Checks <paramref name="answer"/> against what <paramref name="case"/> expects, and the logs.</summary>
    public async Task CheckAsync(GrpcCallCase @case, Http2Answer answer, string what)
    {
        var expected = @case.Expected;
        var said = $"{what}{Environment.NewLine}  got: {answer}";
        if (expected.HttpStatus == 0)
        {
            // A stream the client reset: whatever was sent, never an error of the server's own.
            Assert.True(answer.Status is 0 or 200 && answer.GrpcStatus is null or 0 or 1, said);
        }
        else if (expected.Kestrel && answer.Ending is "reset" or "goaway")
        {
            Assert.True((answer.ResetCode ?? answer.GoAwayCode) == 1, said); // PROTOCOL_ERROR: HTTP/2's answer to a malformed request
        }
        else if (expected.OrNotFound && answer.Status == 404)
        {
            Assert.True(answer.Ending == "answered" && answer.GrpcStatus is null, said);
        }
        else
        {
            Assert.True(answer.Ending == "answered", said);
            Assert.True(answer.Status == expected.HttpStatus, said);
            if (expected.GrpcStatuses.Length > 0)
            {
                Assert.True(answer.GrpcStatus is { } status && expected.GrpcStatuses.Contains(status), said);
                if (answer.GrpcStatus != 0)
                {
                    Assert.True(answer.GrpcMessage.Length > 0, said);
                    Assert.True(expected.Says is null || answer.GrpcMessage.Contains(expected.Says, StringComparison.Ordinal), $"{said}{Environment.NewLine}  expected the message to say '{expected.Says}'");
                }
                else
                {
                    var clean = await CleanAnswerAsync();
                    Assert.True(Message(answer).SequenceEqual(clean), $"{said}{Environment.NewLine}  OK, but not the clean call's answer");
                }
            }
        }

        AssertNothingLoggedAsAnError(said);
    }

    // What a case's cleanup logs after its answer left is caught at the clean call after it.
    private void AssertNothingLoggedAsAnError(string what)
    {
        var errors = logs.SelectMany(l => l.Entries).Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 0, $"{what}{Environment.NewLine}  logged: {string.Join(Environment.NewLine, errors.Select(e => $"{e.Level} {e.Category}: {e.Message}"))}");
    }

    /// <summary>A clean call on a connection of its own gets the clean answer.</summary>
    public async Task CheckCleanAsync(string after)
    {
        await using var connection = await Http2Connection.OpenAsync(port);
        var answer = await SendAsync(connection, 1, mutations.Clean());
        var clean = await CleanAnswerAsync();
        Assert.True(answer.Status == 200 && answer.GrpcStatus == 0 && Message(answer).SequenceEqual(clean), $"after {after}: a clean call got {answer}");
        AssertNothingLoggedAsAnError($"by the clean call after {after}");
    }

    private async Task<byte[]> CleanAnswerAsync()
    {
        if (_clean is null)
        {
            await using var connection = await Http2Connection.OpenAsync(port);
            var answer = await SendAsync(connection, 1, mutations.Clean());
            Assert.True(answer.Status == 200 && answer.GrpcStatus == 0, $"the clean call got {answer}");
            _clean = Message(answer);
        }

        return _clean;
    }

    // The answer's one message, inflated when the server compressed it.
    private static byte[] Message(Http2Answer answer)
    {
        var body = answer.Body;
        if (body.Length < 5 || body[0] == 0)
        {
            return body.Length < 5 ? body : body[5..];
        }

        using Stream decoder = answer.Header("grpc-encoding") switch
        {
            "gzip" => new GZipStream(new MemoryStream(body, 5, body.Length - 5), CompressionMode.Decompress),
            "deflate" => new ZLibStream(new MemoryStream(body, 5, body.Length - 5), CompressionMode.Decompress),
            var other => throw new Xunit.Sdk.XunitException($"an answer compressed in '{other}'"),
        };
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    private static void Count(Dictionary<string, int> outcomes, Http2Answer answer)
    {
        var key = answer.Ending != "answered" ? answer.Ending : answer.GrpcStatus is { } s ? ((Grpc.Core.StatusCode)s).ToString() : $"HTTP {answer.Status}";
        outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
    }
}
