namespace Serving.Testing;

/// <summary>One call over a new bare HTTP/2 connection (<see cref="Http2Connection"/>), its headers edited as a test wishes.</summary>
public static class GrpcHttp2Call
{
    /// <summary>
    /// Sends <paramref name="body"/> with the headers of a gRPC call to <paramref name="path"/> on 127.0.0.1:<paramref name="port"/>,
    /// as <paramref name="method"/>, with <paramref name="edit"/> applied to the headers; the answer, within 20 s.
    /// </summary>
    public static async Task<Http2Answer> SendAsync(int port, byte[] body, string method = "POST", string path = "/inference.GRPCInferenceService/ModelInfer", Action<List<(string Name, string Value)>>? edit = null)
    {
        await using var connection = await Http2Connection.OpenAsync(port);
        var headers = connection.GrpcHeaders(path);
        headers[0] = (":method", method);
        edit?.Invoke(headers);
        await connection.HeadersAsync(1, headers, endStream: body.Length == 0);
        if (body.Length > 0)
        {
            await connection.DataAsync(1, body, endStream: true);
        }

        return await connection.AnswerAsync(1, TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// Sends the headers of a ModelInfer call with <c>grpc-timeout</c> <paramref name="grpcTimeout"/> and then
    /// <paramref name="sent"/>, but never ends the stream; the answer, within 20 s.
    /// </summary>
    public static async Task<Http2Answer> NeverEndedAsync(int port, byte[] sent, string grpcTimeout)
    {
        await using var connection = await Http2Connection.OpenAsync(port);
        await connection.HeadersAsync(1, [.. connection.GrpcHeaders(), ("grpc-timeout", grpcTimeout)], endStream: false);
        await connection.DataAsync(1, sent, endStream: false);
        return await connection.AnswerAsync(1, TimeSpan.FromSeconds(20));
    }
}
