using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>A tiny webhook endpoint on 127.0.0.1 port 0 that records every POST and fails the first few with 500.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<(int Status, string Body)> _calls = [];
    private readonly int _failFirst;

    private WebhookReceiver(WebApplication app, int failFirst)
    {
        _app = app;
        _failFirst = failFirst;
    }

    public string Url { get; private set; } = string.Empty;

    /// <summary>A URL whose POST answers 302 to a page that takes a GET with 200 (both calls recorded).</summary>
    public string MovedUrl { get; private set; } = string.Empty;

    /// <summary>Every request in arrival order, with the status it was answered with.</summary>
    public IReadOnlyList<(int Status, string Body)> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public static async Task<WebhookReceiver> StartAsync(int failFirst)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, failFirst);
        app.MapPost("/hook", (Delegate)receiver.HandleAsync);
        app.MapPost("/moved", () => receiver.Record(302, "POST /moved", Results.Redirect("/landing")));
        app.MapGet("/landing", () => receiver.Record(200, "GET /landing", Results.Ok()));
        await app.StartAsync();
        receiver.Url = app.Urls.Single() + "/hook";
        receiver.MovedUrl = app.Urls.Single() + "/moved";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private IResult Record(int status, string call, IResult result)
    {
        lock (_calls)
        {
            _calls.Add((status, call));
        }

        return result;
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        lock (_calls)
        {
            var status = _calls.Count < _failFirst ? 500 : 200;
            _calls.Add((status, body));
            return Results.StatusCode(status);
        }
    }
}
