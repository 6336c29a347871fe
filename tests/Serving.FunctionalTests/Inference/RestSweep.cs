using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Serving.Testing;

/// <summary>How a REST sweep (<see cref="RestSweep"/>) reads the counters of its requests: the counter, the label that picks the sweep's own series, the code of an answer's status, and the code of a request nobody was left to answer.</summary>
internal sealed record SweepCounters(Func<Task<string>> Scrape, string Counter, string Own, Func<int, string> CodeOf, string Gone, string BadChunk);

/// <summary>
/// The sweep's loop and oracle, shared by the worker's and the gateway's: sends each case, checks its answer, the
/// counters of the sweep's models and that a clean request still gets its answer. Linked into the gateway's tests.
/// </summary>
internal sealed class RestSweep(int port, RestBase[] bases, SweepCounters counters)
{
    /// <summary>The kinds left out of the quick loop: a client that stops mid-body and waits is answered only by Kestrel's body data rate, seconds later.</summary>
    public static readonly Func<RestCase, bool> Quick = c => !(c.Then == RawExchange.Then.Wait && c.Kind is "content-length long then wait" or "chunked cut off");

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, byte[]> _clean = new(StringComparer.Ordinal);

    public RestBase[] Bases => bases;

    /// <summary>The golden request of tabular version 1 to <paramref name="model"/>: as JSON, as a binary tensor after its JSON, and gzip-compressed.</summary>
    public static RestBase[] Tabular(string model)
    {
        var golden = GoldenFile.Load("tabular", "1");
        var json = Encoding.UTF8.GetBytes(golden.RequestBody());
        var header = Encoding.UTF8.GetBytes("""{"id":"bin","inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"parameters":{"binary_data_size":120}}]}""");
        var raw = new byte[120];
        Buffer.BlockCopy(golden.Input, 0, raw, 0, 120);
        return
        [
            new(model, json, []),
            new(model, [.. header, .. raw], [("Content-Type", "application/octet-stream"), ("Inference-Header-Content-Length", header.Length.ToString(CultureInfo.InvariantCulture))], header.Length),
            new(model, Compressed.Of(json, "gzip"), [("Content-Encoding", "gzip")]),
        ];
    }

    /// <summary>Runs <paramref name="iterations"/> cases that <paramref name="take"/> takes; how many were answered, by status.</summary>
    public async Task<Dictionary<int, int>> RunAsync(RestRequestMutations mutations, int seed, int iterations, Func<RestCase, bool> take)
    {
        var random = new Random(seed);
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < iterations;)
        {
            var @case = mutations.Next(random);
            if (!take(@case))
            {
                continue;
            }

            var what = @case.Describe(seed, i);
            // The clean answers, asked (and counted) before the counters are read.
            await CleanAsync(@case.Base, @case.Path);
            await CleanAsync(bases[0], bases[0].Path("1"));
            var before = Counters(await counters.Scrape());
            var answer = await RawExchange.SendAsync(port, @case.Bytes, @case.Then, Wait);
            try
            {
                await CheckAsync(@case, answer, before, what);
            }
            catch (Xunit.Sdk.XunitException e)
            {
                throw new Xunit.Sdk.XunitException(e.Message + Environment.NewLine + @case.Raw);
            }

            statuses[answer.Status] = statuses.GetValueOrDefault(answer.Status) + 1;
            i++;
        }

        return statuses;
    }

    /// <summary>
    /// Bodies the client never finishes and then waits: each valid request cut after 600 bytes, with its whole
    /// Content-Length, or chunked without its last chunk, all at once. Each is answered 408 with the reason (Kestrel's
    /// minimum body data rate, 240 bytes/s after a 5 s grace: so few bytes come too slowly by then) and counted once so.
    /// </summary>
    /// <param name="chunkedToo">Whether chunked bodies are stalled too (else only bodies with a Content-Length).</param>
    /// <param name="take">The valid requests to cut.</param>
    public async Task StalledBodiesAsync(bool chunkedToo, Func<RestBase, bool> take)
    {
        await CleanAsync(bases[0], bases[0].Path("1"));
        var random = new Random(97);
        var stalled = bases.Where(take).SelectMany(b =>
        {
            var headers = new List<(string, string)> { ("Host", "127.0.0.1") };
            headers.AddRange(b.Headers);
            var cut = Math.Min(600, b.Body.Length - 1);
            var chunks = RawExchange.Chunked(b.Body.AsSpan(0, cut), random, largest: 100, lastChunk: "");
            var withLength = RawExchange.Request("POST", b.Path(), [.. headers, ("Content-Length", b.Body.Length.ToString(CultureInfo.InvariantCulture))], b.Body.AsSpan(0, cut));
            return chunkedToo ? [withLength, RawExchange.Request("POST", b.Path(), [.. headers, ("Transfer-Encoding", "chunked")], chunks)] : new[] { withLength };
        }).ToList();
        var before = Counters(await counters.Scrape());

        var answers = await Task.WhenAll(stalled.Select(r => RawExchange.SendAsync(port, r, RawExchange.Then.Wait, Wait)));

        for (var i = 0; i < stalled.Count; i++)
        {
            var what = $"stalled body {i}: {answers[i].Ending} {answers[i].Status} {answers[i].Text}" + Environment.NewLine + "request (base64): " + Convert.ToBase64String(stalled[i]);
            Assert.True(answers[i].Status == 408 && answers[i].Error?.Contains("too slowly", StringComparison.Ordinal) == true, what);
        }

        var clean = await AssertServesCleanAsync("the stalled bodies");
        var counted = await CountedAsync(before, clean, stalled.Count, "the stalled bodies");
        Assert.True(counted.Count == stalled.Count && counted.All(c => c == counters.CodeOf(408)), $"counted '{string.Join(", ", counted)}'");
    }

    /// <summary>Checks the answer to <paramref name="case"/>, then that a clean request is answered, then what was counted of both.</summary>
    public async Task CheckAsync(RestCase @case, RawAnswer answer, Dictionary<string, double> before, string what)
    {
        // Kestrel takes a client's FIN for the connection's end: the request is aborted (RequestAborted) and nobody is
        // answered, so a half close is a close, unless the answer was written first.
        var unanswered = @case.Then == RawExchange.Then.Close || @case.Then == RawExchange.Then.HalfClose && answer.Ending is "closed" or "reset";
        var bare = false;
        if (!unanswered)
        {
            bare = await CheckAnswerAsync(@case, answer, what);
        }

        // Counted: the case once when it reached an infer endpoint and was not refused by Kestrel or routing (405), and the
        // clean request after it. The gateway counts a call once its answer is sent: the counts are waited for.
        var counts = @case.Infer && !bare && answer.Status != 405;
        var clean = await AssertServesCleanAsync(what);
        var counted = await CountedAsync(before, clean, counts ? 1 : 0, what);
        if (unanswered)
        {
            // Nobody was answered: a caller gone (or a broken chunk); a half close that came after the decision may have lost
            // the answer with the connection: any code but a failure of the server's own.
            Assert.True(
                !counts || counted is [var c] && (c == counters.Gone || c == counters.BadChunk && @case.Kind == "chunked cut off"
                    || @case.Then == RawExchange.Then.HalfClose && c is not ("Internal" or "Unknown" or "500" or "502" or "503")),
                $"{what}: {answer.Ending}, counted '{string.Join(", ", counted)}'");
            return;
        }

        // Each infer request once, in the class of its answer (a client that ended its sending side mid-body is a caller
        // gone to Kestrel, which can't tell a half close from a close); nothing for what Kestrel refused. An odd path or a
        // changed head may still name an infer endpoint.
        var expected = counters.CodeOf(answer.Status);
        var half = @case.Then == RawExchange.Then.HalfClose && !@case.Intact;
        Assert.True(
            counted.Count == 0 && (!counts || !@case.Infer) || counted is [var code] && (code == expected || half && code == counters.Gone) && (counts || @case.Kind is "odd path" or "header bytes"),
            $"{what}: answered {answer.Status}, counted '{string.Join(", ", counted)}'");
    }

    // The answer's own checks; true when it is a bare refusal (no JSON: Kestrel's).
    private async Task<bool> CheckAnswerAsync(RestCase @case, RawAnswer answer, string what)
    {
        Assert.True(answer.Ending == "answered" || @case.Kestrel && answer.Ending is "closed" or "reset", $"{what}: {answer.Ending} '{answer.Head}'");
        var json = answer.Header("Content-Type")?.StartsWith("application/json", StringComparison.Ordinal) == true;
        var bare = answer.Status >= 400 && !json || answer.Ending != "answered";
        if (@case.IsHead)
        {
            // No body to say why: the status, and Allow on a 405.
            Assert.True(answer.Status is 200 or 404 or 405 || @case.Kestrel && bare, $"{what}: {answer.Status} '{answer.Head}'");
            Assert.True(answer.Status != 405 || answer.Header("Allow") is { Length: > 0 }, $"{what}: 405 without Allow");
        }
        else if (bare)
        {
            // Kestrel's own answer to what it refuses before the product sees it (the kinds marked Kestrel).
            Assert.True(@case.Kestrel && (answer.Status is 400 or 413 or 414 or 431 or 505 || answer.Ending != "answered"), $"{what}: {answer.Status} without the product's JSON error: '{answer.Head}' '{answer.Text}'");
        }
        else if (answer.Status >= 400)
        {
            // 501 is RFC 9112's answer to a transfer coding the server lacks.
            Assert.True(answer.Status < 500 || answer.Status == 501 && @case.Kind == "transfer coding", $"{what}: {answer.Status} {answer.Text}");
            Assert.True(answer.Error is { Length: > 0 }, $"{what}: {answer.Status} without a reason: '{answer.Text}'");
        }
        else
        {
            Assert.True(answer.Status == 200, $"{what}: {answer.Status} {answer.Text}");
            if (@case.Intact)
            {
                var expected = await CleanAsync(@case.Base, @case.Path);
                var got = Decoded(answer);
                Assert.True(expected.AsSpan().SequenceEqual(got), $"{what}: 200, but not the clean request's answer: '{Encoding.UTF8.GetString(got)}' (clean: '{Encoding.UTF8.GetString(expected)}')");
            }
        }

        return bare;
    }

    // The codes counted since before, the clean request's (code) taken out, once the count has reached the clean request and the case's expected ones (or a bounded wait ended).
    private async Task<List<string>> CountedAsync(Dictionary<string, double> before, string clean, int expected, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var after = Counters(await counters.Scrape());
            var codes = after.Where(p => p.Value > before.GetValueOrDefault(p.Key))
                .SelectMany(p => Enumerable.Repeat(Code(p.Key), (int)(p.Value - before.GetValueOrDefault(p.Key)))).ToList();
            if (codes.Count >= 1 + expected || DateTime.UtcNow > deadline)
            {
                Assert.True(codes.Remove(clean), $"{what}: the clean request after it was not counted {clean}: '{string.Join(", ", codes)}'");
                return codes;
            }

            await Task.Delay(5);
        }
    }

    private static string Code(string series)
    {
        var at = series.IndexOf("code=\"", StringComparison.Ordinal) + 6;
        return series[at..series.IndexOf('"', at)];
    }

    // A clean request is answered, with its answer; its code (as it is counted).
    private async Task<string> AssertServesCleanAsync(string what)
    {
        var b = bases[0];
        var expected = await CleanAsync(b, b.Path("1"));
        var clean = await RawExchange.SendAsync(port, CleanRequest(b, b.Path("1")), RawExchange.Then.Wait, Wait);
        Assert.True(clean.Status == 200 && Decoded(clean).AsSpan().SequenceEqual(expected), $"after {what}: a clean request got {clean.Ending} {clean.Status} {clean.Text}");
        return counters.CodeOf(200);
    }

    private async Task<byte[]> CleanAsync(RestBase b, string path)
    {
        var key = path + " " + Convert.ToBase64String(b.Body);
        if (!_clean.TryGetValue(key, out var answer))
        {
            var before = Counters(await counters.Scrape());
            var clean = await RawExchange.SendAsync(port, CleanRequest(b, path), RawExchange.Then.Wait, Wait);
            Assert.True(clean.Status == 200, $"the clean request to {path} got {clean.Ending} {clean.Status} {clean.Text}");
            _clean[key] = answer = Decoded(clean);
            await CountedAsync(before, counters.CodeOf(200), 0, $"the clean request to {path}");
        }

        return answer;
    }

    private static byte[] CleanRequest(RestBase b, string path)
    {
        var headers = new List<(string, string)> { ("Host", "127.0.0.1"), ("Content-Length", b.Body.Length.ToString(CultureInfo.InvariantCulture)) };
        headers.AddRange(b.Headers);
        return RawExchange.Request("POST", path, headers, b.Body);
    }

    // The answer's body without its Content-Encoding.
    private static byte[] Decoded(RawAnswer answer)
    {
        var encoding = answer.Header("Content-Encoding");
        if (encoding is null)
        {
            return answer.Body;
        }

        using Stream decoder = encoding switch
        {
            "gzip" => new GZipStream(new MemoryStream(answer.Body), CompressionMode.Decompress),
            "br" => new BrotliStream(new MemoryStream(answer.Body), CompressionMode.Decompress),
            "deflate" => new ZLibStream(new MemoryStream(answer.Body), CompressionMode.Decompress),
            _ => throw new Xunit.Sdk.XunitException($"an answer in Content-Encoding '{encoding}'"),
        };
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    private Dictionary<string, double> Counters(string exposition) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(counters.Counter + "{", StringComparison.Ordinal) && l.Contains(counters.Own, StringComparison.Ordinal))
            .ToDictionary(l => l[..l.LastIndexOf(' ')], l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture), StringComparer.Ordinal);
}
