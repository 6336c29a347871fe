using Grpc.Core;
using Serving.Protocol.Inference;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Worker.Endpoints;

namespace Serving.Worker.Tests.Endpoints;

/// <summary>
/// A stream whose caller reset it: grpc-dotnet's reader, asked for the next message once the request is aborted but
/// before the call's own token is cancelled, throws InvalidOperationException "Can't read messages after the request is
/// complete." That escaped InferStream, and grpc-dotnet logged it as an Error "Error when executing service method
/// 'ModelStreamInfer'" (StreamInferSweepTests caught it in CI, once in many runs). The reader here throws as grpc-dotnet's
/// does; the call context is a plain one carrying the HttpContext as grpc-dotnet's test support does.
/// </summary>
public sealed class InferStreamAbortTests
{
    private const string Complete = "Can't read messages after the request is complete.";

    [Fact]
    public async Task ReaderSaysTheRequestIsComplete_AfterTheCallerAborted_TheStreamEndsQuietly()
    {
        using var reset = new CancellationTokenSource();
        await reset.CancelAsync();
        var http = new DefaultHttpContext { RequestAborted = reset.Token }; // the caller reset the stream; the call's token not yet

        await Stream(http).RunAsync(new ThrowingReader(new InvalidOperationException(Complete)));
    }

    [Fact]
    public async Task ReaderThrowsInvalidOperation_WithTheCallerStillThere_ItIsNotSwallowed()
    {
        var http = new DefaultHttpContext();

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => Stream(http).RunAsync(new ThrowingReader(new InvalidOperationException(Complete))));
        Assert.Equal(Complete, thrown.Message);
    }

    private static InferStream Stream(HttpContext http) =>
        new(null!, long.MaxValue, new CallContext(http), new NoWriter(), CancellationToken.None, NullLogger.Instance);

    private sealed class ThrowingReader(Exception e) : IAsyncStreamReader<ModelInferRequest>
    {
        public ModelInferRequest Current => throw new InvalidOperationException("no message was read");

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromException<bool>(e);
    }

    private sealed class NoWriter : IServerStreamWriter<ModelStreamInferResponse>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(ModelStreamInferResponse message) => throw new InvalidOperationException("nothing was to be written");
    }

    // grpc-dotnet's GetHttpContext() reads the HttpContext from UserState["__HttpContext"] on a context of another type.
    private sealed class CallContext : ServerCallContext
    {
        private readonly Dictionary<object, object> _state;

        public CallContext(HttpContext http) => _state = new Dictionary<object, object> { ["__HttpContext"] = http };

        protected override string MethodCore => "/inference.GRPCInferenceService/ModelStreamInfer";

        protected override string HostCore => "localhost";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => DateTime.MaxValue;

        protected override Metadata RequestHeadersCore => [];

        protected override CancellationToken CancellationTokenCore => CancellationToken.None;

        protected override Metadata ResponseTrailersCore => [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore => new(null, []);

        protected override IDictionary<object, object> UserStateCore => _state;

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
