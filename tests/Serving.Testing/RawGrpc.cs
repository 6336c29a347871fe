using System.Net;
using System.Net.Http.Headers;

namespace Serving.Testing;

/// <summary>Sends hand-made bytes as a ModelInfer call over HTTP/2 (what a broken or hostile client could send).</summary>
public static class RawGrpc
{
    public static Task<(int GrpcStatus, string Message)> SendAsync(GatewayServer gateway, byte[] body) => SendAsync(gateway.Listeners.GrpcPort, body);

    /// <summary>The same to any server's gRPC port on 127.0.0.1 (a worker, to compare with the gateway).</summary>
    public static async Task<(int GrpcStatus, string Message)> SendAsync(int port, byte[] body)
    {
        var (status, message, _) = await SendAsync(port, new ByteArrayContent(body));
        return (status, message);
    }

    /// <summary>Sends <paramref name="body"/> with one more request header (e.g. a <c>grpc-timeout</c> this client does not keep itself).</summary>
    public static async Task<(int GrpcStatus, string Message)> SendWithHeaderAsync(int port, byte[] body, string name, string value)
    {
        var (status, message, _) = await SendAsync(port, new ByteArrayContent(body), request => request.Headers.TryAddWithoutValidation(name, value), null);
        return (status, message);
    }

    /// <summary>Sends <paramref name="body"/> with a <c>grpc-encoding</c> header; also returns the answer's <c>grpc-accept-encoding</c>.</summary>
    public static async Task<(int GrpcStatus, string Message, string? AcceptEncoding)> SendEncodedAsync(int port, byte[] body, string encoding)
    {
        string? accept = null;
        var (status, message, _) = await SendAsync(port, new ByteArrayContent(body), request => request.Headers.TryAddWithoutValidation("grpc-encoding", encoding), response => accept = Header(response, "grpc-accept-encoding"));
        return (status, message, accept);
    }

    /// <summary>Sends <paramref name="content"/> as the call's body; also returns the answer's body (its gRPC frames).</summary>
    public static Task<(int GrpcStatus, string Message, byte[] Body)> SendAsync(int port, HttpContent content) => SendAsync(port, content, null, null);

    private static async Task<(int GrpcStatus, string Message, byte[] Body)> SendAsync(int port, HttpContent content, Action<HttpRequestMessage>? edit, Action<HttpResponseMessage>? inspect)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/inference.GRPCInferenceService/ModelInfer")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        edit?.Invoke(request);
        using var response = await http.SendAsync(request);
        inspect?.Invoke(response);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"a gRPC answer must be HTTP 200, not {(int)response.StatusCode}: {response}");
        }

        var status = Header(response, "grpc-status") ?? throw new InvalidOperationException($"no grpc-status: {response}; trailers {response.TrailingHeaders}");
        return (int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), Uri.UnescapeDataString(Header(response, "grpc-message") ?? ""), body);
    }

    /// <summary><paramref name="message"/> in a gRPC frame: uncompressed, with its big-endian length.</summary>
    public static byte[] Frame(byte[] message) => Frame(message, compressed: false);

    /// <summary><paramref name="message"/> in a gRPC frame with its compressed flag as given (the bytes are not changed).</summary>
    public static byte[] Frame(byte[] message, bool compressed)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>A body sent in two pieces with a pause between them, as a slow client's would arrive.</summary>
    public sealed class TwoPieces(byte[] body, int firstPiece, TimeSpan pause) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, firstPiece));
            await stream.FlushAsync();
            await Task.Delay(pause);
            await stream.WriteAsync(body.AsMemory(firstPiece));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A header of the answer, or else a trailer of it.</summary>
    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var h) ? h.First() : response.TrailingHeaders.TryGetValues(name, out var t) ? t.First() : null;
}
