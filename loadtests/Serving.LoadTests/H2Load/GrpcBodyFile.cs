using Serving.LoadTests.Targets;

namespace Serving.LoadTests.H2Load;

/// <summary>Writes a gRPC request body for h2load: the 5-byte prefix (0 = uncompressed, big-endian length), then the protobuf bytes.</summary>
internal static class GrpcBodyFile
{
    /// <summary>Writes the framed <paramref name="message"/> to a new temporary file and returns its path.</summary>
    public static async Task<string> WriteAsync(byte[] message, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"serving-loadtest-{Environment.ProcessId}-{Guid.NewGuid():N}.grpc");
        await File.WriteAllBytesAsync(path, GrpcFraming.Frame(message), cancellationToken);
        return path;
    }
}
