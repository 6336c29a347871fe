using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Serving.FunctionalTests.Tracing;

/// <summary>
/// An OTLP/gRPC trace receiver on 127.0.0.1 (HTTP/2 cleartext), enough for a real OTLP exporter: it takes
/// <c>TraceService/Export</c> calls, keeps each span's service name, trace id, span id and name, and answers OK.
/// </summary>
internal sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeSpan _readDelay;
    private int _exports;

    private OtlpCollector(WebApplication app, TimeSpan readDelay) => (_app, _readDelay) = (app, readDelay);

    /// <summary>Every span received, in arrival order (a span exported twice is here twice).</summary>
    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    /// <summary>How many export calls came (each counted on arrival, before its body is read).</summary>
    public int Exports => _exports;

    /// <summary>The address to give an OTLP exporter.</summary>
    public string Endpoint => _app.Urls.Single();

    /// <summary>Starts the receiver; with <paramref name="readDelay"/>, each export waits that long before its body is read (a slow collector).</summary>
    public static async Task<OtlpCollector> StartAsync(TimeSpan readDelay = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var collector = new OtlpCollector(app, readDelay);
        app.MapPost("/opentelemetry.proto.collector.trace.v1.TraceService/Export", collector.ExportAsync);
        await app.StartAsync();
        return collector;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task ExportAsync(HttpContext context)
    {
        Interlocked.Increment(ref _exports);
        if (_readDelay > TimeSpan.Zero)
        {
            // The exporter's process may exit meanwhile: its connection closes, and the body can no longer be read.
            await Task.Delay(_readDelay, context.RequestAborted);
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var bytes = body.ToArray();
        for (var at = 0; at + 5 <= bytes.Length;)
        {
            var length = (bytes[at + 1] << 24) | (bytes[at + 2] << 16) | (bytes[at + 3] << 8) | bytes[at + 4];
            Read(bytes.AsSpan(at + 5, length).ToArray());
            at += 5 + length;
        }

        // An empty ExportTraceServiceResponse, then grpc-status 0.
        context.Response.ContentType = "application/grpc";
        await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 }
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2 }, Resource { repeated KeyValue attributes = 1 }
    // ScopeSpans { repeated Span spans = 2 }, Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5;
    // repeated KeyValue attributes = 9 }
    private void Read(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = Fields(resourceSpans, 1).SelectMany(r => Fields(r, 1)).Select(Attribute)
                .FirstOrDefault(a => a.Key == "service.name").Value ?? "";
            foreach (var span in Fields(resourceSpans, 2).SelectMany(scope => Fields(scope, 2)))
            {
                Spans.Enqueue(new ReceivedSpan(
                    service,
                    Convert.ToHexStringLower(Fields(span, 1).FirstOrDefault() ?? []),
                    Convert.ToHexStringLower(Fields(span, 2).FirstOrDefault() ?? []),
                    System.Text.Encoding.UTF8.GetString(Fields(span, 5).FirstOrDefault() ?? []),
                    Convert.ToHexStringLower(Fields(span, 4).FirstOrDefault() ?? []),
                    Fields(span, 9).Select(Attribute).Where(a => a.Value is not null).Select(a => $"{a.Key}={a.Value}").ToArray()));
            }
        }
    }

    // KeyValue { string key = 1; AnyValue value = 2 }, AnyValue { string string_value = 1 }
    private static (string Key, string? Value) Attribute(byte[] keyValue) =>
        (System.Text.Encoding.UTF8.GetString(Fields(keyValue, 1).FirstOrDefault() ?? []),
         Fields(keyValue, 2).SelectMany(v => Fields(v, 1)).Select(s => System.Text.Encoding.UTF8.GetString(s)).FirstOrDefault());

    // The length-delimited fields numbered `field` of a message, as their bytes; every other field skipped.
    private static List<byte[]> Fields(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    /// <summary>
    /// A span as an exporter sent it: under which service, its trace and span ids (hex), its name, its parent's span id
    /// (hex, empty for a root) and its string attributes (<c>key=value</c>).
    /// </summary>
    internal sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string Name, string ParentSpanId, string[] Attributes);
}
