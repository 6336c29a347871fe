using System.Globalization;
using System.Text;

namespace Serving.Testing;

/// <summary>A valid infer request of the HTTP sweeps: its model, its body and the headers that go with that body.</summary>
/// <param name="Model">The model the path names.</param>
/// <param name="Body">The body as sent (compressed already when <paramref name="Headers"/> say so).</param>
/// <param name="Headers">The body's own headers (Content-Type, Content-Encoding, Inference-Header-Content-Length).</param>
/// <param name="JsonLength">How many of the body's bytes are JSON (the rest is binary tensor data); null for a body all JSON.</param>
public sealed record RestBase(string Model, byte[] Body, (string Name, string Value)[] Headers, int? JsonLength = null)
{
    /// <summary>The infer path of the model (with its version when <paramref name="version"/> is given).</summary>
    public string Path(string? version = null) => version is null ? $"/v2/models/{Model}/infer" : $"/v2/models/{Model}/versions/{version}/infer";
}

/// <summary>
/// One request of the HTTP sweeps, as bytes (written by hand, so it may lie about its framing), what the client does
/// once they are written, and what its answer may be.
/// </summary>
/// <param name="Kind">The mutation, for messages.</param>
/// <param name="Bytes">The request as it goes on the wire.</param>
/// <param name="Then">What the client does after writing it.</param>
/// <param name="Intact">A 200 must be the clean request's answer: the body and everything it means are unchanged.</param>
/// <param name="Kestrel">
/// Refused by Kestrel before any of the product's code runs: a bare 4xx without a body (or the connection closed)
/// is acceptable, and the request is counted nowhere.
/// </param>
/// <param name="Infer">The request reaches the infer endpoint of <see cref="RestBase.Model"/>: counted once in the worker's metrics.</param>
public sealed record RestCase(string Kind, byte[] Bytes, RawExchange.Then Then, bool Intact, bool Kestrel, bool Infer)
{
    /// <summary>The valid request it was made from.</summary>
    public RestBase Base { get; init; } = null!;

    /// <summary>The infer path the valid request went to (the case may send it elsewhere).</summary>
    public string Path { get; init; } = "";

    /// <summary>Whether it is a HEAD request (its answer has no body).</summary>
    public bool IsHead => Bytes.AsSpan().StartsWith("HEAD "u8);

    /// <summary>Where the case comes from: the seed, the iteration and its kind.</summary>
    public string Describe(int seed, int iteration) => $"seed {seed}, iteration {iteration}, kind '{Kind}', then {Then}";

    /// <summary>The request as base64: what a failure prints after its reason.</summary>
    public string Raw => "request (base64): " + Convert.ToBase64String(Bytes);
}

/// <summary>
/// Mutations of a valid infer request at the HTTP level, for the worker's and the gateway's REST sweeps: Content-Type,
/// Content-Length and Transfer-Encoding (missing, lying, malformed, duplicated, chunks broken or cut), Expect,
/// Content-Encoding, transfer codings, Inference-Header-Content-Length, Accept and Accept-Encoding, routing and timeout headers, long and
/// many headers, odd paths and methods, query strings, and bytes of the body.
/// </summary>
public sealed class RestRequestMutations(IReadOnlyList<RestBase> bases, IReadOnlyList<(string Name, string Value)> routingHeaders)
{
    private static readonly string[] ContentTypes =
    [
        "application/json", "APPLICATION/JSON", "application/json; charset=utf-8", "application/json;charset=\"UTF-8\"", "application/json; charset=latin1",
        "application/json; charset=utf-16", "text/plain", "multipart/form-data; boundary=x", "application/octet-stream",
        "application/vnd.sagemaker-triton.binary+json;json-header-size=10", "application/x-www-form-urlencoded", "", "*/*", "application/json; q=0.5; x=y",
    ];

    private static readonly string[] Accepts = ["application/json", "application/xml", "*/*", "text/html;q=0.9", "", "application/octet-stream", "nonsense"];

    private static readonly string[] AcceptEncodings = ["gzip", "br", "deflate", "*", "identity", "gzip;q=0", "gzip, br;q=0.5", "zstd", "", "gzip;q=abc", "identity;q=0, *;q=0", "GZIP"];

    private static readonly string[] Queries = ["?timeout=1000", "?x=1", "?", "?a=%00", "?timeout=-1&timeout=abc", "?" + new string('q', 2000), "?binary_data_output=true", "?%zz"];

    private static readonly string[] Methods = ["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "GET", "TRACE"];

    /// <summary>Paths that name no infer endpoint of a served model; the product answers them (4xx with a reason).</summary>
    private static readonly string[] OddPaths =
    [
        "/v2/models/a%2Fb/infer", "/v2/models/..%2F..%2Fetc/infer", "/v2/models/%2e%2e/infer", "/v2/models/t%C3%A1bular/infer", "/v2/models/%E2%80%AE/infer",
        "/v2/models/" + new string('m', 129) + "/infer", "/v2/models/" + new string('m', 128) + "/infer", "/v2/models/{0}/infer/", "/v2/models/{0}/versions/1/infer/",
        "/v2/models/{0}/versions/01/infer", "/v2/models/{0}/versions/%31/infer", "/v2/models/{0}/versions/-1/infer", "/v2/models/{0}/versions//infer",
        "/v2/models/{0}//infer", "//v2/models/{0}/infer", "/v2/models/{0}/infer%20", "/v2/models/{0}/versions/99999999999999999999/infer",
        "/v2/models/{0}/INFER", "/V2/models/{0}/infer", "/v2/models/{0}/infer/extra", "/v2/models/{0}/ready", "/v2/models/{0}", "/v2/models/{0}/versions/1",
        "/v2/models/%7B%7D/infer", "/v2/models/nosuch/infer", "/v2/models/{0}/versions/1.0/infer",
    ];

    /// <summary>Paths Kestrel refuses as it reads the request line (a bare 400), before any of the product's code: a NUL once decoded among them.</summary>
    private static readonly string[] KestrelPaths = ["/v2/models/{0} x/infer", "/v2/models/{0}\t/infer", "v2/models/{0}/infer", "/v2/models/{0}/in\u0001fer", "/v2/models/{0}%00/infer"];

    private readonly string[] _kinds =
    [
        "content-type", "no content-length", "content-length short", "content-length long then wait", "content-length long then close",
        "content-length bad", "content-length duplicated", "content-length and chunked", "chunked", "chunked broken", "chunked cut off",
        "expect", "content-encoding", "header length", "accept", "long header", "many headers", "routing header", "timeout header",
        "odd path", "kestrel path", "method", "query", "body bytes", "half close", "header bytes", "transfer coding",
    ];

    /// <summary>The mutation kinds.</summary>
    public IReadOnlyList<string> Kinds => _kinds;

    /// <summary>A case of a random kind (<paramref name="kind"/> picks one), from a random valid request.</summary>
    public RestCase Next(Random random, string? kind = null)
    {
        var b = bases[random.Next(bases.Count)];
        kind ??= _kinds[random.Next(_kinds.Length)];
        var path = random.Next(3) == 0 ? b.Path("1") : b.Path();
        return Make(b, path, kind, random) with { Base = b, Path = path };
    }

    private RestCase Make(RestBase b, string path, string kind, Random random)
    {
        var headers = new List<(string Name, string Value)> { ("Host", "127.0.0.1") };
        headers.AddRange(b.Headers);
        if (!b.Headers.Any(h => h.Name == "Content-Type"))
        {
            headers.Add(("Content-Type", "application/json"));
        }

        var body = b.Body;
        RestCase Sent(IEnumerable<(string, string)> h, byte[] payload, bool intact = true, bool kestrel = false, bool infer = true, RawExchange.Then then = RawExchange.Then.Wait, string method = "POST", string? target = null) =>
            new(kind, RawExchange.Request(method, target ?? path, h, payload), then, intact, kestrel, infer);
        List<(string, string)> WithLength(int length) => [.. headers, ("Content-Length", length.ToString(CultureInfo.InvariantCulture))];

        switch (kind)
        {
            case "content-type":
                // The worker reads the body by its own framing (JSON, or JSON and binary by Inference-Header-Content-Length)
                // whatever the type says, as Triton does.
                var type = ContentTypes[random.Next(ContentTypes.Length)];
                var typed = headers.Where(h => h.Name != "Content-Type").ToList();
                if (random.Next(5) > 0)
                {
                    typed.Add(("Content-Type", type));
                }

                return Sent([.. typed, ("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture))], body);

            case "no content-length":
                // HTTP/1.1: no length and no chunking is an empty body; the bytes after the head are then a next request.
                return Sent(headers, body, intact: false);

            case "content-length short":
                return Sent(WithLength(random.Next(body.Length)), body, intact: false);

            case "content-length long then wait":
                // Kestrel's minimum body data rate ends the wait (408) after its grace period.
                return Sent(WithLength(body.Length + random.Next(1, 100)), body, intact: false);

            case "content-length long then close":
                return Sent(WithLength(body.Length + random.Next(1, 100)), body, intact: false, then: RawExchange.Then.Close);

            case "half close":
                // A client that ends its sending side after its request: Kestrel takes the FIN for the connection's end and aborts
                // the request, so it gets the answer only if it was written first; counted as a caller gone otherwise.
                return random.Next(2) == 0
                    ? Sent(WithLength(body.Length), body, then: RawExchange.Then.HalfClose)
                    : Sent(WithLength(body.Length + random.Next(1, 100)), body, intact: false, then: RawExchange.Then.HalfClose);

            case "content-length bad":
            {
                // Not a non-negative integer: Kestrel refuses the head (it takes "+10" as 10, and the product then reads 10
                // bytes). A valid number over the limit is the product's 413.
                string[] bad = ["-1", "abc", "1e3", "0x10", "+10", "99999999999999999999999", " ", "10 10", "١٠"];
                if (random.Next(3) == 0)
                {
                    return Sent(WithLength(int.MaxValue), body, intact: false);
                }

                return Sent([.. headers, ("Content-Length", bad[random.Next(bad.Length)])], body, intact: false, kestrel: true);
            }

            case "content-length duplicated":
            {
                var n = body.Length.ToString(CultureInfo.InvariantCulture);
                var other = (body.Length + 1).ToString(CultureInfo.InvariantCulture);
                return random.Next(3) switch
                {
                    // Two lines, or one list, of lengths: Kestrel refuses a second Content-Length, even an equal one.
                    0 => Sent([.. headers, ("Content-Length", n), ("Content-Length", n)], body, intact: false, kestrel: true),
                    1 => Sent([.. headers, ("Content-Length", n), ("Content-Length", other)], body, intact: false, kestrel: true),
                    _ => Sent([.. headers, ("Content-Length", $"{n}, {n}")], body, intact: false, kestrel: true),
                };
            }

            case "content-length and chunked":
                // Both: Transfer-Encoding wins (RFC 9112 §6.3); Kestrel reads the chunks.
                return Sent([.. headers, ("Content-Length", (body.Length + 7).ToString(CultureInfo.InvariantCulture)), ("Transfer-Encoding", "chunked")], RawExchange.Chunked(body, random));

            case "chunked":
            {
                // Valid chunking: sizes upper or lower case, chunk extensions, trailers.
                var chunks = RawExchange.Chunked(body, random, largest: random.Next(2) == 0 ? 16 : 8192,
                    lastChunk: random.Next(3) switch { 0 => "0\r\n\r\n", 1 => "0\r\nX-Trailer: 1\r\nOther: two\r\n\r\n", _ => "000;ext=1\r\n\r\n" });
                var te = random.Next(3) switch { 0 => "chunked", 1 => "Chunked", _ => "CHUNKED" };
                return Sent([.. headers, ("Transfer-Encoding", te)], chunks);
            }

            case "transfer coding":
            {
                // Codings before the final chunked, the body in them: read as sent, or refused (501, RFC 9112 §6.1). A final
                // coding other than chunked is Kestrel's bare 400: no length can be told.
                string[] codings = ["gzip, chunked", "GZIP,chunked", "deflate, chunked", "identity, chunked", "br, chunked", "chunked, chunked", "gzip", "chunked, gzip"];
                var te = codings[random.Next(codings.Length)];
                var coded = te.StartsWith("gzip", StringComparison.OrdinalIgnoreCase) ? Compressed.Of(body, "gzip")
                    : te.StartsWith("deflate", StringComparison.Ordinal) ? Compressed.Of(body, "deflate")
                    : te.StartsWith("br", StringComparison.Ordinal) ? Compressed.Of(body, "br") : body;
                var kestrel = te is "gzip" or "chunked, gzip";
                return Sent([.. headers, ("Transfer-Encoding", te)], RawExchange.Chunked(coded, random), kestrel: kestrel, infer: !kestrel);
            }

            case "chunked broken":
            {
                // Bad chunks: Kestrel reports them to the body's read, where the product answers 400.
                var good = RawExchange.Chunked(body, random, largest: 64);
                var text = Encoding.Latin1.GetString(good);
                var broken = random.Next(6) switch
                {
                    0 => "zz\r\n" + text,
                    1 => "-5\r\n" + text,
                    2 => "ffffffffffffffffff\r\n" + text,
                    3 => text.Replace("\r\n", "\n", StringComparison.Ordinal),
                    4 => text[..^5] + "0\r\nbad trailer line\r\n\r\n",
                    _ => "5\r\nabcdefgh\r\n" + text,
                };
                return Sent([.. headers, ("Transfer-Encoding", "chunked")], Encoding.Latin1.GetBytes(broken), intact: false);
            }

            case "chunked cut off":
            {
                // A client that stops mid-chunks and waits, ends its sending side, or closes.
                var good = RawExchange.Chunked(body, random, largest: 64);
                var cut = good[..random.Next(good.Length - 5)];
                var then = (RawExchange.Then)random.Next(3);
                return Sent([.. headers, ("Transfer-Encoding", "chunked")], cut, intact: false, then: then);
            }

            case "expect":
            {
                // The body follows the head at once, without waiting for 100 Continue (as curl does after its wait).
                var expectation = random.Next(3) switch { 0 => "100-continue", 1 => "100-CONTINUE", _ => "something-else" };
                return Sent([.. WithLength(body.Length), ("Expect", expectation)], body);
            }

            case "content-encoding":
                return ContentEncoding(b, headers, random, Sent);

            case "header length":
                return HeaderLength(b, headers, random, Sent);

            case "accept":
            {
                var h = WithLength(body.Length);
                if (random.Next(2) == 0)
                {
                    h.Add(("Accept", Accepts[random.Next(Accepts.Length)]));
                }

                h.Add(("Accept-Encoding", AcceptEncodings[random.Next(AcceptEncodings.Length)]));
                return Sent(h, body);
            }

            case "long header":
            {
                // Up to Kestrel's limit of all headers (32 KiB at the worker, 28 KiB at the gateway): past it Kestrel's bare 431.
                var length = random.Next(3) switch { 0 => random.Next(1, 8000), 1 => random.Next(8000, 20_000), _ => random.Next(40_000, 70_000) };
                var name = random.Next(2) == 0 ? "X-Long" : "User-Agent";
                return Sent([.. WithLength(body.Length), (name, new string((char)('a' + random.Next(26)), length))], body, kestrel: length > 28_000, infer: length <= 28_000);
            }

            case "many headers":
            {
                // Kestrel's limit of header fields (100 at the worker, 88 at the gateway): past it Kestrel's bare 431.
                var count = random.Next(2) == 0 ? random.Next(1, 80) : random.Next(101, 300);
                var h = WithLength(body.Length);
                for (var i = 0; i < count; i++)
                {
                    h.Add(($"X-Many-{i}", i.ToString(CultureInfo.InvariantCulture)));
                }

                return Sent(h, body, kestrel: count > 80, infer: count <= 80);
            }

            case "routing header":
            {
                // The gateway's hints (a caller's own are dropped there) and pin / sticky headers: never a worker failure.
                var (name, value) = routingHeaders[random.Next(routingHeaders.Count)];
                return Sent([.. WithLength(body.Length), (name, value)], body, intact: false);
            }

            case "timeout header":
            {
                string[] values = ["60000", "0", "-1", "abc", "1.5", "99999999999999999999999", "", "1, 2", " 60000 "];
                return Sent([.. WithLength(body.Length), ("X-Serving-Timeout-Ms", values[random.Next(values.Length)])], body, intact: false);
            }

            case "odd path":
            {
                var odd = string.Format(CultureInfo.InvariantCulture, OddPaths[random.Next(OddPaths.Length)], b.Model);
                return Sent(WithLength(body.Length), body, intact: false, infer: false, target: odd);
            }

            case "kestrel path":
            {
                var target = string.Format(CultureInfo.InvariantCulture, KestrelPaths[random.Next(KestrelPaths.Length)], b.Model);
                return Sent(WithLength(body.Length), body, intact: false, kestrel: true, infer: false, target: target);
            }

            case "method":
            {
                // Infer takes POST only; metadata and ready take GET (ready HEAD too).
                var method = Methods[random.Next(Methods.Length)];
                var target = random.Next(3) switch { 0 => path, 1 => $"/v2/models/{b.Model}", _ => $"/v2/models/{b.Model}/ready" };
                var withBody = method != "GET" && method != "HEAD" && method != "TRACE" || random.Next(2) == 0;
                return withBody
                    ? Sent(WithLength(body.Length), body, intact: false, infer: false, method: method, target: target)
                    : Sent(headers, [], intact: false, infer: false, method: method, target: target);
            }

            case "query":
                return Sent(WithLength(body.Length), body, target: path + Queries[random.Next(Queries.Length)]);

            case "body bytes":
            {
                var mutated = ByteMutations.Mutate(body, random);
                var h = headers.Where(x => !x.Name.Equals("Inference-Header-Content-Length", StringComparison.Ordinal) || random.Next(2) == 0).ToList();
                return random.Next(3) == 0
                    ? Sent([.. h, ("Transfer-Encoding", "chunked")], RawExchange.Chunked(mutated, random), intact: false)
                    : Sent([.. h, ("Content-Length", mutated.Length.ToString(CultureInfo.InvariantCulture))], mutated, intact: false);
            }

            case "header bytes":
            {
                // Bytes of the head changed: Kestrel refuses what is not HTTP; what it takes, the product answers.
                var whole = RawExchange.Request("POST", path, WithLength(body.Length), []);
                var head = ByteMutations.Mutate(whole[..^4], random);
                return new RestCase(kind, [.. head, .. "\r\n\r\n"u8, .. body], RawExchange.Then.HalfClose, Intact: false, Kestrel: true, Infer: false);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such mutation");
        }
    }

    private static RestCase ContentEncoding(
        RestBase b, List<(string Name, string Value)> headers, Random random,
        Func<IEnumerable<(string, string)>, byte[], bool, bool, bool, RawExchange.Then, string, string?, RestCase> sent)
    {
        // On a plain body: unknown, stacked, empty and identity encodings. A body compressed as labelled (any case) is read.
        var plain = headers.Where(h => !h.Name.Equals("Content-Encoding", StringComparison.Ordinal)).ToList();
        var body = b.Headers.Any(h => h.Name == "Content-Encoding") ? null : b.Body;
        if (body is null)
        {
            return sent([.. headers, ("Content-Length", b.Body.Length.ToString(CultureInfo.InvariantCulture)), ("Content-Encoding", "identity")], b.Body, false, false, true, RawExchange.Then.Wait, "POST", null);
        }

        string[] codings = ["gzip", "deflate", "br"];
        var coding = codings[random.Next(codings.Length)];
        switch (random.Next(4))
        {
            case 0:
                var compressed = Compressed.Of(body, coding);
                var label = random.Next(2) == 0 ? coding : coding.ToUpperInvariant();
                return sent([.. plain, ("Content-Length", compressed.Length.ToString(CultureInfo.InvariantCulture)), ("Content-Encoding", label)], compressed, true, false, true, RawExchange.Then.Wait, "POST", null);
            case 1:
                string[] labels = ["identity", "IDENTITY", "zstd", "x-gzip", "gzip, br", "br, gzip", "identity, gzip", "", " ", "gzip;q=1", "compress", "*"];
                return sent([.. plain, ("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)), ("Content-Encoding", labels[random.Next(labels.Length)])], body, false, false, true, RawExchange.Then.Wait, "POST", null);
            case 2:
                // Stacked as two header lines.
                var twice = Compressed.Of(Compressed.Of(body, "gzip"), "br");
                return sent([.. plain, ("Content-Length", twice.Length.ToString(CultureInfo.InvariantCulture)), ("Content-Encoding", "gzip"), ("Content-Encoding", "br")], twice, false, false, true, RawExchange.Then.Wait, "POST", null);
            default:
                // Compressed, then cut or changed.
                var damaged = ByteMutations.Mutate(Compressed.Of(body, coding), random);
                return sent([.. plain, ("Content-Length", damaged.Length.ToString(CultureInfo.InvariantCulture)), ("Content-Encoding", coding)], damaged, false, false, true, RawExchange.Then.Wait, "POST", null);
        }
    }

    private static RestCase HeaderLength(
        RestBase b, List<(string Name, string Value)> headers, Random random,
        Func<IEnumerable<(string, string)>, byte[], bool, bool, bool, RawExchange.Then, string, string?, RestCase> sent)
    {
        var others = headers.Where(h => !h.Name.Equals("Inference-Header-Content-Length", StringComparison.Ordinal)).ToList();
        if (b.Headers.Any(h => h.Name == "Content-Encoding"))
        {
            // The length of the inflated body's JSON: a compressed base keeps its own.
            return sent([.. headers, ("Content-Length", b.Body.Length.ToString(CultureInfo.InvariantCulture))], b.Body, true, false, true, RawExchange.Then.Wait, "POST", null);
        }

        var json = b.JsonLength ?? b.Body.Length;
        var length = b.Body.Length.ToString(CultureInfo.InvariantCulture);
        var choice = random.Next(6);
        var value = choice switch
        {
            0 => json.ToString(CultureInfo.InvariantCulture),
            1 => (json - random.Next(1, 20)).ToString(CultureInfo.InvariantCulture),
            2 => (json + random.Next(1, 20)).ToString(CultureInfo.InvariantCulture),
            3 => $"{json}, {json}",
            4 => new[] { "-1", "abc", "", "1e3", "99999999999999999999", "+5" }[random.Next(6)],
            _ => "0",
        };
        var h = new List<(string, string)>(others) { ("Content-Length", length), ("Inference-Header-Content-Length", value) };
        if (choice == 3 && random.Next(2) == 0)
        {
            h = [.. others, ("Content-Length", length), ("Inference-Header-Content-Length", json.ToString(CultureInfo.InvariantCulture)), ("Inference-Header-Content-Length", json.ToString(CultureInfo.InvariantCulture))];
        }

        return sent(h, b.Body, choice == 0, false, true, RawExchange.Then.Wait, "POST", null);
    }
}
