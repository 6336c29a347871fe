using System.Buffers.Binary;

namespace Serving.Testing;

/// <summary>How a mutated call's stream goes: its body whole with END_STREAM, or another way.</summary>
public enum GrpcCallEnding
{
    /// <summary>The body, END_STREAM on its last DATA frame (on the HEADERS frame for no body).</summary>
    Whole,

    /// <summary>The body without END_STREAM; after a pause, an empty DATA frame with END_STREAM.</summary>
    PauseThenEnd,

    /// <summary>The body without END_STREAM, never ended: the call's grpc-timeout must end it.</summary>
    NeverEnded,

    /// <summary>HEADERS, then RST_STREAM CANCEL at once: nobody to answer.</summary>
    ResetAfterHeaders,

    /// <summary>HEADERS and part of the body, then RST_STREAM CANCEL: nobody to answer.</summary>
    ResetMidBody,

    /// <summary>The call whole, then the client's GOAWAY NO_ERROR: the call is still answered.</summary>
    WholeThenGoAway,
}

/// <summary>
/// What a mutated call must get: an HTTP status and, on a gRPC answer, one of the gRPC statuses with a message that
/// holds <paramref name="Says"/> (any message for null, but never an empty one on an error).
/// </summary>
/// <param name="HttpStatus">The HTTP status.</param>
/// <param name="GrpcStatuses">The gRPC statuses that are right (none: no gRPC answer is owed).</param>
/// <param name="Says">What the message must hold.</param>
/// <param name="Kestrel">Refused by Kestrel by HTTP/2's rules: RST_STREAM or GOAWAY PROTOCOL_ERROR is right too.</param>
/// <param name="OrNotFound">A path no gRPC method has: HTTP 404 (which gRPC clients read as UNIMPLEMENTED) is right too.</param>
public sealed record GrpcExpected(int HttpStatus, int[] GrpcStatuses, string? Says = null, bool Kestrel = false, bool OrNotFound = false)
{
    /// <summary>OK, with the clean call's answer.</summary>
    public static GrpcExpected Ok { get; } = new(200, [0]);

    /// <summary>A gRPC status (trailers-only) saying <paramref name="says"/>.</summary>
    public static GrpcExpected Status(Grpc.Core.StatusCode status, string? says = null) => new(200, [(int)status], says);

    /// <summary>No answer is owed: the client reset the stream.</summary>
    public static GrpcExpected None { get; } = new(0, []);
}

/// <summary>One mutated ModelInfer call: its headers (pseudo-headers first, in order), body (gRPC frames), DATA frame size and ending.</summary>
public sealed record GrpcCallCase(string Kind, string Detail, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body, int FrameSize, GrpcCallEnding Ending, GrpcExpected Expected)
{
    /// <summary>The case as a failure prints it.</summary>
    public string Describe(int seed, int iteration) =>
        $"seed {seed}, iteration {iteration}: {Kind} ({Detail}); {Ending}, DATA frames of {FrameSize}; headers [{string.Join(", ", Headers.Select(h => $"{h.Name}: {(h.Value.Length > 80 ? h.Value[..40] + $"…({h.Value.Length} chars)" : h.Value)}"))}]; body (base64) {(Body.Length > 600 ? $"{Body.Length} bytes" : Convert.ToBase64String(Body))}";
}

/// <summary>
/// Mutations of a valid unary ModelInfer call at the HTTP/2 level: its headers (content-type, te, grpc-timeout,
/// grpc-encoding, grpc-accept-encoding, repeated and long headers, :path, :method, :authority, :scheme), its body's gRPC
/// framing (lengths that lie, no message, two, a partial frame, compressed flags, frames of one byte, nothing at all, a
/// message over the limit) and its stream's lifecycle (a pause before END_STREAM, none with a deadline, RST_STREAM, the
/// client's GOAWAY). Each case says what the right answer is (<see cref="GrpcExpected"/>).
/// </summary>
/// <param name="message">The valid call's message (a serialized ModelInferRequest).</param>
/// <param name="maxRequestBytes">The server's largest message.</param>
/// <param name="port">The server's port (its :authority).</param>
public sealed class GrpcCallMutations(byte[] message, long maxRequestBytes, int port)
{
    private const string InferPath = "/inference.GRPCInferenceService/ModelInfer";

    /// <summary>The kinds, each picked with the same chance.</summary>
    public static readonly string[] Kinds =
    [
        "content-type accepted", "content-type refused", "te", "grpc-timeout", "grpc-timeout none left", "grpc-timeout malformed",
        "grpc-encoding, uncompressed", "grpc-encoding, compressed", "grpc-accept-encoding", "repeated header", "long header",
        "path unknown", "path spelled otherwise", "method", "authority", "scheme", "length over the bytes", "length under the bytes",
        "no message", "two messages", "partial frame after", "compressed flag without encoding", "compressed flag over 1",
        "one-byte DATA frames", "odd DATA frames", "empty body", "message over the limit", "pause before END_STREAM",
        "never ended, with a deadline", "reset after headers", "reset mid-body", "GOAWAY after the call",
    ];

    /// <summary>The kinds whose stream a connection shared with other calls can carry (none that may end the connection).</summary>
    public static bool SharesAConnection(string kind) => kind is not ("te" or "long header" or "scheme" or "reset after headers" or "reset mid-body" or "GOAWAY after the call");

    /// <summary>The valid call, unchanged.</summary>
    public GrpcCallCase Clean() => new("clean", "", Headers(), RawGrpc.Frame(message), 16_384, GrpcCallEnding.Whole, GrpcExpected.Ok);

    /// <summary>A case of a kind <paramref name="random"/> picks, or of <paramref name="kind"/>.</summary>
    public GrpcCallCase Next(Random random, string? kind = null)
    {
        kind ??= Kinds[random.Next(Kinds.Length)];
        var frame = RawGrpc.Frame(message);
        GrpcCallCase Case(string detail, List<(string, string)> headers, GrpcExpected expected, byte[]? body = null, GrpcCallEnding ending = GrpcCallEnding.Whole, int frameSize = 16_384) =>
            new(kind, detail, headers, body ?? frame, frameSize, ending, expected);
        GrpcCallCase Header(string name, string value, GrpcExpected expected, byte[]? body = null) => Case($"{name}: {value}", With(Headers(), name, value), expected, body);

        switch (kind)
        {
            case "content-type accepted":
                return Header("content-type", Pick(random, "application/grpc+proto", "application/grpc; charset=utf-8", "Application/GRPC", "application/grpc;foo=bar"), GrpcExpected.Ok);
            case "content-type refused":
            {
                var type = Pick(random, "text/plain", "application/json", "application/grpc-web", "application/grpcx", "application/proto", "", null);
                return type is null ? Case("no content-type", Without(Headers(), "content-type"), Unsupported) : Header("content-type", type, Unsupported);
            }

            case "te":
            {
                var te = Pick(random, null, "trailers, deflate", "gzip", "TRAILERS");
                return te is null ? Case("no te", Without(Headers(), "te"), GrpcExpected.Ok) : Header("te", te, KestrelRefuses); // HTTP/2 allows "trailers" alone
            }

            case "grpc-timeout":
                return Header("grpc-timeout", Pick(random, "1S", "30S", "2M", "1H", "99999999H", "5000m", "3000000u", "99999999n", "00000010S"), GrpcExpected.Ok);
            case "grpc-timeout none left":
                return Header("grpc-timeout", Pick(random, "0S", "0n", "0m", "0H", "99n", "0u"), GrpcExpected.Status(Grpc.Core.StatusCode.DeadlineExceeded));
            case "grpc-timeout malformed":
                return Header("grpc-timeout", Pick(random, "-1S", "1", "S", "1s", "abc", "", "123456789S", " 1S", "1.5S", "+1S", "1X", "0x10S", "1 S"), BadTimeout);
            case "grpc-encoding, uncompressed":
                return Header("grpc-encoding", Pick(random, "identity", "gzip", "deflate", "zstd", "", "gzip, deflate", "GZIP", "x".PadRight(300, 'x')), GrpcExpected.Ok);
            case "grpc-encoding, compressed":
            {
                var (label, compressor) = Pick(random, ("gzip", "gzip"), ("deflate", "deflate"), ("GZIP", "gzip"), ("gzip, deflate", "gzip"), ("gzip,identity", "gzip"));
                var body = RawGrpc.Frame(Compressed.Of(message, compressor), compressed: true);
                return Header("grpc-encoding", label, label is "gzip" or "deflate" ? GrpcExpected.Ok : GrpcExpected.Status(Grpc.Core.StatusCode.Unimplemented, "deflate"), body);
            }

            case "grpc-accept-encoding":
                return Header("grpc-accept-encoding", Pick(random, "", "gzip", "deflate", "identity", "zstd", "gzip;q=0", ",,", "identity,gzip,deflate,br,zstd", string.Join(",", Enumerable.Repeat("gzip", 300))), GrpcExpected.Ok);
            case "repeated header":
            {
                var (name, first, second) = Pick(random, ("content-type", "application/grpc", "application/grpc"), ("te", "trailers", "trailers"), ("grpc-timeout", "30S", "20S"),
                    ("grpc-encoding", "identity", "gzip"), ("grpc-accept-encoding", "gzip", "deflate"), ("x-meta", "a", "b"));
                var headers = Headers();
                if (name is "content-type" or "te")
                {
                    headers.Add((name, second));
                }
                else
                {
                    headers.AddRange([(name, first), (name, second)]);
                }

                return Case($"{name} twice", headers, name == "content-type" ? Unsupported : GrpcExpected.Ok); // one content-type, or none
            }

            case "long header":
            {
                var length = Pick(random, 1_000, 8_000, 20_000);
                return Header(Pick(random, "x-long", "user-agent", "x-long-bin"), new string('A', length), GrpcExpected.Ok);
            }

            case "path unknown":
                return Case("path", WithPath(Pick(random, "/inference.GRPCInferenceService/NoSuchMethod", "/no.such.Service/ModelInfer", "/inference.GRPCInferenceService/", "/inference.GRPCInferenceService/ModelInfer/x")), NoMethod);
            case "path spelled otherwise":
            {
                // Routing takes another case and a trailing slash, and Kestrel decodes %49 and removes a dot segment: each is ModelInfer.
                var path = Pick(random, InferPath + "?x=1", "/inference.GRPCInferenceService/Model%49nfer", "/inference.grpcinferenceservice/modelinfer", InferPath + "/", "/" + InferPath, "/inference.GRPCInferenceService/./ModelInfer");
                return Case("path", WithPath(path), path.StartsWith("//", StringComparison.Ordinal) ? NoMethod : GrpcExpected.Ok);
            }

            case "method":
            {
                var method = Pick(random, "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD");
                var headers = Headers();
                headers[0] = (":method", method);
                return Case(method, headers, new GrpcExpected(405, [(int)Grpc.Core.StatusCode.Unimplemented], "a gRPC call is a POST"));
            }

            case "authority":
            {
                var authority = Pick(random, "", "example.com", new string('a', 300) + ".example", "127.0.0.1:1", "[::1]", null);
                var headers = authority is null ? Without(Headers(), ":authority") : Headers();
                if (authority is not null)
                {
                    headers[3] = (":authority", authority);
                }

                return Case(authority is null ? "no :authority" : $":authority {authority}", headers, GrpcExpected.Ok);
            }

            case "scheme":
            {
                var headers = Headers();
                headers[1] = (":scheme", Pick(random, "https", "ftp"));
                return Case(headers[1].Item2, headers, KestrelRefuses);
            }

            case "length over the bytes":
            {
                var more = Pick(random, 1, 100, 100_000);
                // Declared over the limit, it is refused by its header (without waiting for bytes that won't come).
                return Case($"length + {more}", Headers(), message.Length + more > maxRequestBytes ? GrpcExpected.Status(Grpc.Core.StatusCode.ResourceExhausted) : Truncated, Relabel(frame, message.Length + more));
            }

            case "length under the bytes":
            {
                var less = Pick(random, 1, 10);
                return Case($"length - {less}", Headers(), Malformed, Relabel(frame, message.Length - less));
            }

            case "no message":
                return Case("a 0-byte message", Headers(), GrpcExpected.Status(Grpc.Core.StatusCode.InvalidArgument, "model_name is required"), [0, 0, 0, 0, 0]);
            case "two messages":
                return Case("two messages", Headers(), Malformed, [.. frame, .. frame]);
            case "partial frame after":
                return Case("a partial frame after the message", Headers(), Malformed, [.. frame, .. frame.AsSpan(0, Pick(random, 1, 4, 5, 9))]);
            case "compressed flag without encoding":
                return Case("flag 1", Headers(), GrpcExpected.Status(Grpc.Core.StatusCode.InvalidArgument, "no grpc-encoding header"), RawGrpc.Frame(message, compressed: true));
            case "compressed flag over 1":
            {
                var flag = (byte)random.Next(2, 256);
                var body = (byte[])frame.Clone();
                body[0] = flag;
                return Case($"flag {flag}", Headers(), GrpcExpected.Status(Grpc.Core.StatusCode.InvalidArgument, $"compressed flag {flag}"), body);
            }

            case "one-byte DATA frames":
                return Case("1-byte frames", Headers(), GrpcExpected.Ok, frameSize: 1);
            case "odd DATA frames":
            {
                var size = Pick(random, 2, 3, 4, 5, 6, 7, 13, 64);
                return Case($"{size}-byte frames", Headers(), GrpcExpected.Ok, frameSize: size);
            }

            case "empty body":
                return Case("END_STREAM on HEADERS", Headers(), Truncated, []);
            case "message over the limit":
            {
                var size = (int)maxRequestBytes + Pick(random, 1, 1000);
                var big = new byte[5 + size];
                BinaryPrimitives.WriteUInt32BigEndian(big.AsSpan(1), (uint)size);
                frame.AsSpan(5).CopyTo(big.AsSpan(5)); // the valid message first, its leading fields whole, then zero bytes (field 0 is invalid: never parsed)
                return Case($"{size}-byte message", Headers(), GrpcExpected.Status(Grpc.Core.StatusCode.ResourceExhausted), big);
            }

            case "pause before END_STREAM":
                return Case("END_STREAM 1 s after the message", Headers(), GrpcExpected.Ok, ending: GrpcCallEnding.PauseThenEnd);
            case "never ended, with a deadline":
            {
                var timeout = Pick(random, "300m", "1S");
                return Case($"grpc-timeout {timeout}", With(Headers(), "grpc-timeout", timeout), GrpcExpected.Status(Grpc.Core.StatusCode.DeadlineExceeded), ending: GrpcCallEnding.NeverEnded);
            }

            case "reset after headers":
                return Case("RST_STREAM after HEADERS", Headers(), GrpcExpected.None, ending: GrpcCallEnding.ResetAfterHeaders);
            case "reset mid-body":
                return Case("RST_STREAM mid-body", Headers(), GrpcExpected.None, ending: GrpcCallEnding.ResetMidBody, frameSize: Pick(random, 3, 5, 20));
            case "GOAWAY after the call":
                return Case("GOAWAY", Headers(), GrpcExpected.Ok, ending: GrpcCallEnding.WholeThenGoAway);
            default:
                throw new ArgumentException($"no kind '{kind}'", nameof(kind));
        }
    }

    // gRPC over HTTP/2: a content-type that isn't application/grpc… is HTTP 415.
    private static GrpcExpected Unsupported { get; } = new(415, [(int)Grpc.Core.StatusCode.Internal], "Content-Type");

    private static GrpcExpected KestrelRefuses { get; } = new(400, [], Kestrel: true);

    private static GrpcExpected NoMethod { get; } = new(200, [(int)Grpc.Core.StatusCode.Unimplemented], OrNotFound: true);

    // A grpc-timeout gRPC over HTTP/2 doesn't allow: ignored (no deadline) or refused with a reason.
    private static GrpcExpected BadTimeout { get; } = new(200, [0, (int)Grpc.Core.StatusCode.InvalidArgument], "grpc-timeout");

    // A body that ends before its message does (the caller's mistake).
    private static GrpcExpected Truncated { get; } = GrpcExpected.Status(Grpc.Core.StatusCode.InvalidArgument);

    // A unary call's body that is not exactly one message (the caller's mistake).
    private static GrpcExpected Malformed { get; } = GrpcExpected.Status(Grpc.Core.StatusCode.InvalidArgument);

    private List<(string Name, string Value)> Headers() =>
        [(":method", "POST"), (":scheme", "http"), (":path", InferPath), (":authority", $"127.0.0.1:{port}"), ("content-type", "application/grpc"), ("te", "trailers")];

    private List<(string Name, string Value)> WithPath(string path)
    {
        var headers = Headers();
        headers[2] = (":path", path);
        return headers;
    }

    private static List<(string Name, string Value)> With(List<(string Name, string Value)> headers, string name, string value)
    {
        var at = headers.FindIndex(h => h.Name == name);
        if (at >= 0)
        {
            headers[at] = (name, value);
        }
        else
        {
            headers.Add((name, value));
        }

        return headers;
    }

    private static List<(string Name, string Value)> Without(List<(string Name, string Value)> headers, string name)
    {
        headers.RemoveAll(h => h.Name == name);
        return headers;
    }

    private static byte[] Relabel(byte[] frame, int length)
    {
        var copy = (byte[])frame.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(1), (uint)length);
        return copy;
    }

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];
}
