using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>How a <see cref="MisbehavingSidecar"/> answers each Ingest stream.</summary>
/// <param name="Answer">How the call is answered before any ack: a gRPC stream, an HTTP status, a non-gRPC body.</param>
/// <param name="AcksPerStream">Batches acknowledged on each stream (the opening one counts) before <paramref name="Then"/>.</param>
/// <param name="Acks">How each of those batches is acknowledged.</param>
/// <param name="Then">What the stream does after its acks.</param>
/// <param name="Status">The gRPC status of <see cref="SidecarEnd.Status"/> or <see cref="SidecarAnswer.StatusAtOnce"/>.</param>
internal sealed record SidecarScript(
    SidecarAnswer Answer = SidecarAnswer.Stream,
    int AcksPerStream = int.MaxValue,
    SidecarAcks Acks = SidecarAcks.Honest,
    SidecarEnd Then = SidecarEnd.Stall,
    int Status = 14);

internal enum SidecarAnswer
{
    Stream,
    StatusAtOnce,
    Http404,
    Http500,
    TextPlain,
    NeverRead,
}

internal enum SidecarAcks
{
    Honest,
    Twice,
    OutOfOrder,
    WithUnknownSequences,
    NegativeCounts,
    InflatedCounts,
    ZeroCounts,
}

internal enum SidecarEnd
{
    Stall,
    Status,
    ResetStream,
    CloseConnection,
    GarbageFrame,
}

/// <summary>
/// A hand-made Ingest endpoint on Kestrel (HTTP/2 only, 127.0.0.1 port 0) that misbehaves as its <see cref="SidecarScript"/>
/// says, or a bare TCP listener that never speaks HTTP/2 (<see cref="StartSilentAsync"/>). It counts the streams opened
/// and the records it acknowledged (each acknowledged sequence once, by the batch's real record count).
/// </summary>
internal sealed class MisbehavingSidecar : IAsyncDisposable
{
    private readonly WebApplication? _app;
    private readonly TcpListener? _tcp;
    private readonly SidecarScript _script;
    private readonly ConcurrentDictionary<string, ConnectionContext> _connections = new();
    private readonly ConcurrentDictionary<ulong, int> _acknowledged = new();
    private readonly List<Socket> _held = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _accepting = Task.CompletedTask;
    private int _streams;
    private int _disposed;
    private long _batchesRead;

    private MisbehavingSidecar(WebApplication? app, TcpListener? tcp, SidecarScript script)
    {
        _app = app;
        _tcp = tcp;
        _script = script;
    }

    public int Port { get; private set; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Ingest calls (or TCP connections, for the silent listener) taken so far.</summary>
    public int Streams => Volatile.Read(ref _streams);

    /// <summary>Batches read whole (the opening ones included).</summary>
    public long BatchesRead => Interlocked.Read(ref _batchesRead);

    /// <summary>Records of the batches this sidecar acknowledged, each sequence once whatever its ack said.</summary>
    public long AcknowledgedRecords => _acknowledged.Values.Sum();

    public static async Task<MisbehavingSidecar> StartAsync(SidecarScript script, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        MisbehavingSidecar? sidecar = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MinRequestBodyDataRate = null;
            // A small window, so a sidecar that stops reading pushes back on the worker's writes after a few batches.
            k.Limits.Http2.InitialConnectionWindowSize = 65_535;
            k.Limits.Http2.InitialStreamWindowSize = 65_535;
            k.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(next => async connection =>
                {
                    sidecar!._connections[connection.ConnectionId] = connection;
                    try
                    {
                        await next(connection);
                    }
                    finally
                    {
                        sidecar._connections.TryRemove(connection.ConnectionId, out _);
                    }
                });
            });
        });
        var app = builder.Build();
        sidecar = new MisbehavingSidecar(app, null, script);
        app.Run(sidecar.HandleAsync);
        await app.StartAsync();
        sidecar.Port = new Uri(app.Urls.Single()).Port;
        return sidecar;
    }

    /// <summary>A TCP listener that takes connections and never writes a byte (nor reads one).</summary>
    public static Task<MisbehavingSidecar> StartSilentAsync(int port = 0)
    {
        var tcp = new TcpListener(IPAddress.Loopback, port);
        tcp.Start();
        var sidecar = new MisbehavingSidecar(null, tcp, new SidecarScript()) { Port = ((IPEndPoint)tcp.LocalEndpoint).Port };
        sidecar._accepting = sidecar.AcceptSilentlyAsync();
        return Task.FromResult(sidecar);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_app is not null)
        {
            foreach (var connection in _connections.Values)
            {
                connection.Abort();
            }

            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_tcp is not null)
        {
            _tcp.Stop();
            await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            lock (_held)
            {
                foreach (var socket in _held)
                {
                    socket.Dispose();
                }
            }
        }

        _stopping.Dispose();
    }

    private async Task AcceptSilentlyAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var socket = await _tcp!.AcceptSocketAsync(_stopping.Token);
            Interlocked.Increment(ref _streams);
            lock (_held)
            {
                _held.Add(socket);
            }
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _streams);
        var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token).Token;
        switch (_script.Answer)
        {
            case SidecarAnswer.Http404:
                context.Response.StatusCode = 404;
                return;
            case SidecarAnswer.Http500:
                context.Response.StatusCode = 500;
                return;
            case SidecarAnswer.TextPlain:
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("not a gRPC service", aborted);
                return;
            case SidecarAnswer.StatusAtOnce:
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-status"] = _script.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.Response.Headers["grpc-message"] = "refused by the misbehaving sidecar";
                return;
            case SidecarAnswer.NeverRead:
                await Task.Delay(Timeout.Infinite, aborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return;
        }

        context.Response.ContentType = "application/grpc";
        await context.Response.StartAsync(aborted);
        var held = new List<(ulong Sequence, int Records)>();
        var acked = 0;
        try
        {
            while (await ReadBatchAsync(context.Request.Body, aborted) is { } batch)
            {
                Interlocked.Increment(ref _batchesRead);
                if (acked >= _script.AcksPerStream)
                {
                    if (await EndAsync(context, aborted))
                    {
                        return;
                    }

                    continue;
                }

                acked++;
                await AckAsync(context, (batch.Sequence, batch.Records.Count), held, aborted);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ConnectionAbortedException or InvalidProtocolBufferException)
        {
            // The worker went away or the sidecar stopped.
        }
    }

    // True when the stream is over.
    private async Task<bool> EndAsync(HttpContext context, CancellationToken aborted)
    {
        switch (_script.Then)
        {
            case SidecarEnd.Stall:
                return false;
            case SidecarEnd.Status:
                context.Response.AppendTrailer("grpc-status", _script.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                context.Response.AppendTrailer("grpc-message", "ended by the misbehaving sidecar");
                return true;
            case SidecarEnd.ResetStream:
                context.Features.Get<IHttpResetFeature>()!.Reset(2);
                return true;
            case SidecarEnd.CloseConnection:
                foreach (var connection in _connections.Values)
                {
                    connection.Abort();
                }

                return true;
            default:
                await WriteFrameAsync(context, [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x07], aborted);
                context.Response.AppendTrailer("grpc-status", "0");
                return true;
        }
    }

    private async Task AckAsync(HttpContext context, (ulong Sequence, int Records) batch, List<(ulong Sequence, int Records)> held, CancellationToken aborted)
    {
        switch (_script.Acks)
        {
            case SidecarAcks.OutOfOrder:
                held.Add(batch);
                if (held.Count == 2 || batch.Records == 0)
                {
                    for (var i = held.Count - 1; i >= 0; i--)
                    {
                        await SendAckAsync(context, held[i], held[i].Records, aborted);
                    }

                    held.Clear();
                }

                return;
            case SidecarAcks.Twice:
                await SendAckAsync(context, batch, batch.Records, aborted);
                await SendAckAsync(context, batch, batch.Records, aborted);
                return;
            case SidecarAcks.WithUnknownSequences:
                await SendAckAsync(context, (batch.Sequence + 1000, 0), 7, aborted, record: false);
                await SendAckAsync(context, batch, batch.Records, aborted);
                await SendAckAsync(context, (0, 0), 3, aborted, record: false);
                return;
            case SidecarAcks.NegativeCounts:
                await SendAckAsync(context, batch, -batch.Records - 1, aborted);
                return;
            case SidecarAcks.InflatedCounts:
                await SendAckAsync(context, batch, (batch.Records * 10) + 5, aborted);
                return;
            case SidecarAcks.ZeroCounts:
                await SendAckAsync(context, batch, 0, aborted);
                return;
            default:
                await SendAckAsync(context, batch, batch.Records, aborted);
                return;
        }
    }

    private async Task SendAckAsync(HttpContext context, (ulong Sequence, int Records) batch, long accepted, CancellationToken aborted, bool record = true)
    {
        if (record)
        {
            _acknowledged.TryAdd(batch.Sequence, batch.Records);
        }

        await WriteFrameAsync(context, new IngestAck { Sequence = batch.Sequence, Accepted = accepted }.ToByteArray(), aborted);
    }

    private static async Task WriteFrameAsync(HttpContext context, byte[] message, CancellationToken aborted)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame.AsSpan(5));
        await context.Response.Body.WriteAsync(frame, aborted);
        await context.Response.Body.FlushAsync(aborted);
    }

    private static async Task<PredictionLogBatch?> ReadBatchAsync(Stream body, CancellationToken aborted)
    {
        var header = new byte[5];
        var read = await body.ReadAtLeastAsync(header, 5, throwOnEndOfStream: false, aborted);
        if (read < 5)
        {
            return null;
        }

        var message = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
        await body.ReadExactlyAsync(message, aborted);
        return PredictionLogBatch.Parser.ParseFrom(message);
    }
}
