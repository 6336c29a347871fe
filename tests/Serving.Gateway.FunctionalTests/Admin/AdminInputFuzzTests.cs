using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>
/// Mutation fuzz of the admin API on a real gateway, over bare HTTP/1.1 (so bodies, content types, chunking and paths go
/// out exactly as written): every policy change (<see cref="PolicyBodies"/>) and every path or query is answered 200 with
/// the policy applied, or 4xx with a message saying why; never a 5xx, a reset connection or no answer; and after a refusal
/// the policy in force is the one before it. The bulk of the bodies is read in-process by <c>PolicyBodyFuzzTests</c>.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminInputFuzzTests(GatewayFixture fixture)
{
    // Mutated policy changes per run: 150 in CI; set ADMIN_API_FUZZ_ITERATIONS for a longer search (5,000 took 10 s).
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("ADMIN_API_FUZZ_ITERATIONS"), out var n) ? n : 150;

    private static readonly string?[] ContentTypes = ["application/json", "application/json; charset=utf-8", null, "text/plain", "application/xml", "application/json; charset=utf-16", "multipart/form-data; boundary=x"];

    // Path segments Kestrel refuses in the request line: a NUL once decoded.
    private static readonly HashSet<string> KestrelRefuses = ["tabular%00"];

    [Fact]
    public async Task PutPolicy_MutatedBodies_AppliedOrRefusedWithAReason_PolicyInForceKeptOnRefusal()
    {
        var random = new Random(67);
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(100, 0));
        var inForce = await Policies.InForceAsync(fixture.Gateway);
        var (applied, refused) = (0, 0);
        for (var i = 0; i < Iterations; i++)
        {
            var body = PolicyBodies.Mutated(random);
            var contentType = ContentTypes[random.Next(ContentTypes.Length)];
            var chunked = random.Next(4) == 0;
            var what = $"iteration {i}, {(chunked ? "chunked" : "Content-Length")}, Content-Type {contentType ?? "(none)"}, body {PolicyBodies.Describe(body)}";

            var (status, answer) = await SendAsync("PUT", "/admin/models/tabular/policy", body, contentType, chunked, random);

            inForce = await AssertOutcomeAsync(what, status, answer, inForce);
            (applied, refused) = status == 200 ? (applied + 1, refused) : (applied, refused + 1);
        }

        Assert.True(refused > 0 && (applied > 0 || Iterations < 50), $"applied {applied}, refused {refused}");
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(100, 0)); // no fuzzed sticky header, shadow or rollback left for the next test
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(64 * 1024 + 1, false)]
    [InlineData(64 * 1024 + 1, true)]
    [InlineData(1024 * 1024, true)]
    public async Task PutPolicy_EmptyOrEnormousBody_RefusedWithAReason_PolicyInForceKept(int length, bool chunked)
    {
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(100, 0));
        var inForce = await Policies.InForceAsync(fixture.Gateway);

        // A valid policy padded with spaces to the length: too long however it is sent.
        var body = Encoding.UTF8.GetBytes(Policies.TwoVersions(0, 100).PadRight(length));
        var (status, answer) = await SendAsync("PUT", "/admin/models/tabular/policy", body.AsSpan(0, length).ToArray(), "application/json", chunked, new Random(71));

        Assert.True(status is >= 400 and < 500, $"{status}: {answer}");
        await AssertOutcomeAsync($"{length} bytes, chunked {chunked}", status, answer, inForce);
    }

    [Fact]
    public async Task Paths_OddModelNamesAndQueries_AnsweredOrRefusedWithAReason_PolicyInForceKept()
    {
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(100, 0));
        var inForce = await Policies.InForceAsync(fixture.Gateway);
        var random = new Random(73);
        string[] counts = ["", "?count=1", "?count=0", "?count=-1", "?count=abc", "?count=1.5", "?count=99999999999", "?count=1&count=2", "?count=", "?count=%00", "?other=1"];
        foreach (var model in PolicyBodies.PathModels)
        {
            var change = Encoding.UTF8.GetBytes(random.Next(2) == 0 ? Policies.TwoVersions(100, 0) : Policies.TwoVersions(90, 10));
            foreach (var (method, path, body) in new (string, string, byte[]?)[]
            {
                ("GET", $"/admin/models/{model}/policy", null),
                ("PUT", $"/admin/models/{model}/policy", change),
                ("GET", $"/admin/models/{model}/policy/history{counts[random.Next(counts.Length)]}", null),
                ("PUT", $"/admin/models/{model}/policy/history", change),
                (random.Next(2) == 0 ? "DELETE" : "POST", $"/admin/models/{model}/policy{(random.Next(2) == 0 ? "/" : "")}", change),
            })
            {
                var (status, answer) = await SendAsync(method, path, body, "application/json", chunked: false, random);

                if (KestrelRefuses.Contains(model))
                {
                    // Refused by Kestrel as it reads the request line (a bare 400), before any of the gateway's code.
                    Assert.True(status == 400 && await Policies.InForceAsync(fixture.Gateway) == inForce, $"{method} {path}: {status} {answer}");
                    continue;
                }

                inForce = await AssertOutcomeAsync($"{method} {path}", status, answer, inForce);
            }
        }

        foreach (var count in counts)
        {
            var (status, answer) = await SendAsync("GET", $"/admin/models/tabular/policy/history{count}", null, null, chunked: false, random);

            await AssertOutcomeAsync($"GET history{count}", status, answer, inForce);
        }
    }

    // 200 and the policy in force is the answer's (for a change), or 4xx with a reason and the policy in force unchanged.
    private async Task<string> AssertOutcomeAsync(string what, int status, string answer, string inForce)
    {
        var now = await Policies.InForceAsync(fixture.Gateway);
        if (status == 200)
        {
            // A change's answer (a policy without "source") is what is in force now.
            var answered = JsonDocument.Parse(answer).RootElement;
            if (answered.TryGetProperty("revision", out var revision) && !answered.TryGetProperty("source", out _))
            {
                var policy = JsonDocument.Parse(now).RootElement;
                Assert.True(
                    revision.GetInt64() == policy.GetProperty("revision").GetInt64() && Policies.Weights(answered) == Policies.Weights(policy),
                    $"{what}: answered {answer}, but {now} is in force");
            }

            return now;
        }

        Assert.True(status is >= 400 and < 500, $"{what}: {status} {answer}");
        Assert.True(Reason(answer) is { Length: > 0 }, $"{what}: {status} without a reason: '{answer}'");
        Assert.True(now == inForce, $"{what}: refused with {status} {answer}, but the policy in force changed from {inForce} to {now}");
        return inForce;
    }

    private static string? Reason(string answer)
    {
        try
        {
            return JsonDocument.Parse(answer).RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // One request on its own connection (closed after the answer): the status and body; a test failure when the gateway resets
    // the connection or does not answer within 30 s.
    private async Task<(int Status, string Body)> SendAsync(string method, string path, byte[]? body, string? contentType, bool chunked, Random random)
    {
        using var client = await RawHttp1.ConnectAsync(fixture.Gateway.Listeners.AdminPort);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stream = client.GetStream();
        var head = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {GatewayServer.AdminToken}\r\n");
        if (contentType is not null && body is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n");
        }

        if (body is not null)
        {
            head.Append(chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {body.Length}\r\n");
        }

        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), timeout.Token);
            if (body is not null)
            {
                await stream.WriteAsync(chunked ? Chunked(body, random) : body, timeout.Token);
            }

            using var answer = new MemoryStream();
            await stream.CopyToAsync(answer, timeout.Token);
            return Parse(answer.ToArray(), $"{method} {path}");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"{method} {path}: no answer within 30 s");
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // A refusal may close the connection before the whole body is sent: the answer is still there to read.
            var rest = new MemoryStream();
            try
            {
                await stream.CopyToAsync(rest, timeout.Token);
            }
            catch (Exception again) when (again is IOException or SocketException or OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"{method} {path}: the connection was reset: {e.Message}");
            }

            return Parse(rest.ToArray(), $"{method} {path}");
        }
    }

    private static (int Status, string Body) Parse(byte[] answer, string what)
    {
        var text = Encoding.UTF8.GetString(answer);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0 && text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal), $"{what}: no HTTP answer: '{text}'");
        var head = text[..end];
        var body = text[(end + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            var whole = new StringBuilder();
            for (var at = 0; ;)
            {
                var line = body.IndexOf("\r\n", at, StringComparison.Ordinal);
                var size = int.Parse(body[at..line], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    break;
                }

                whole.Append(body, line + 2, size);
                at = line + 2 + size + 2;
            }

            body = whole.ToString();
        }

        return (int.Parse(head.AsSpan(9, 3), CultureInfo.InvariantCulture), body);
    }

    // The body in chunks of random sizes, then the last chunk.
    private static byte[] Chunked(byte[] body, Random random)
    {
        var output = new MemoryStream();
        for (var at = 0; at < body.Length;)
        {
            var size = Math.Min(body.Length - at, random.Next(1, 20_000));
            output.Write(Encoding.ASCII.GetBytes($"{size:x}\r\n"));
            output.Write(body, at, size);
            output.Write("\r\n"u8);
            at += size;
        }

        output.Write("0\r\n\r\n"u8);
        return output.ToArray();
    }
}
