using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>The admin API: always behind the token, refuses invalid policies with the reason and keeps the old one, audits changes.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminApiTests(GatewayFixture fixture)
{
    private HttpClient Anonymous => new() { BaseAddress = fixture.Gateway.Admin!.BaseAddress };

    [Theory]
    [InlineData("GET", "/admin/models")]
    [InlineData("GET", "/admin/models/tabular/policy")]
    [InlineData("PUT", "/admin/models/tabular/policy")]
    [InlineData("GET", "/admin/nothing-here")]
    public async Task NoToken_401_WithBearerChallenge(string method, string path)
    {
        using var client = Anonymous;
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("""{"weights": {"1": 100}}""") });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("wrong-token")]
    [InlineData(GatewayServer.AdminToken + "x")]
    public async Task WrongToken_401_InvalidToken_AndNothingChanges(string token)
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        using var client = Anonymous;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await client.PutAsync("/admin/models/tabular/policy", new StringContent("""{"weights": {"1": 0, "2": 100}}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        Assert.Equal("1=100 2=0", Policies.Weights(await Policies.GetAsync(fixture.Gateway.Admin!)));
    }

    [Theory]
    [InlineData("POST", "/admin/models/tabular/policy", "GET, PUT")]
    [InlineData("DELETE", "/admin/models/tabular/policy", "GET, PUT")]
    [InlineData("PUT", "/admin/models", "GET")]
    [InlineData("DELETE", "/admin/models/tabular/policy/history", "GET")]
    [InlineData("POST", "/admin/models/nope/policy", "GET, PUT")]
    public async Task WrongMethod_405_WithAllow_AndNothingChanges(string method, string path, string allow)
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("""{"weights": {"1": 0, "2": 100}}""") };

        using var response = await fixture.Gateway.Admin!.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        Assert.Contains($"use {allow}", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("1=100 2=0", Policies.Weights(await Policies.GetAsync(fixture.Gateway.Admin!)));
    }

    [Theory]
    [InlineData("GET", "/admin/nothing-here")]
    [InlineData("GET", "/admin/models/tabular")]
    [InlineData("PUT", "/admin/models/tabular/policy/extra")]
    public async Task UnknownAdminPath_404(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await fixture.Gateway.Admin!.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no endpoint at", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin/models")]
    [InlineData("/ADMIN/models")]
    [InlineData("/Admin/Models")]
    public async Task AdminPaths_NotOnTheFrontDoorPorts(string path)
    {
        foreach (var port in new[] { fixture.Gateway.Listeners.RestPort, fixture.Gateway.Listeners.GrpcPort, fixture.Gateway.Listeners.MetricsPort })
        {
            using var client = FrontDoor(port);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayServer.AdminToken);

            using var response = await client.GetAsync(path);

            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"GET {path} on port {port}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [InlineData("/admin/models/tabular/policy")]
    [InlineData("/ADMIN/models/tabular/policy")]
    [InlineData("/Admin/models/tabular/policy")]
    public async Task PolicyChange_WithoutToken_OnTheFrontDoorPorts_404_AndNothingChanges(string path)
    {
        // A path that only differs in case reached the admin endpoints through the route matcher (case-insensitive), past the
        // admin port's token check: anyone who could send an infer call could change the traffic policy.
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        foreach (var port in new[] { fixture.Gateway.Listeners.RestPort, fixture.Gateway.Listeners.GrpcPort })
        {
            using var client = FrontDoor(port);
            using var response = await client.PutAsync(path, new StringContent("""{"weights": {"1": 0, "2": 100}}"""));

            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"PUT {path} on port {port}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal("1=100 2=0", Policies.Weights(await Policies.GetAsync(fixture.Gateway.Admin!)));
    }

    [Fact]
    public async Task AdminPath_InAnotherCase_OnTheAdminPort_StillNeedsTheToken()
    {
        using var client = Anonymous;

        using var response = await client.GetAsync("/ADMIN/models");

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    // The REST and metrics ports speak HTTP/1.1, the gRPC port h2c (which also routes REST paths).
    private HttpClient FrontDoor(int port) => new()
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        DefaultRequestVersion = port == fixture.Gateway.Listeners.GrpcPort ? HttpVersion.Version20 : HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    [Theory]
    [InlineData("""{"weights": {"1": 90, "2": 5}}""", "weights must add up to 100 (they add up to 95)")]
    [InlineData("""{"weights": {"1": 90, "7": 10}}""", "version 7 of model 'tabular' does not exist on any worker")]
    [InlineData("""{"weights": {"1": 100}, "shadow": {"version": "2", "percent": 150}}""", "shadow percent must be from 1 to 100 (got 150)")]
    [InlineData("""{"weights": {"1": 100}, "sticky_header": "bad header"}""", "sticky_header 'bad header' is not a valid header name")]
    [InlineData("""{"weights": {"1": 100}, "pin_header": "x-serving-foo"}""", "pin_header 'x-serving-foo' is reserved")]
    [InlineData("""{"weights": {"1": 100}, "stiky_header": "x-user-id"}""", "stiky_header")]
    [InlineData("""{"weights": {"1": 99.5, "2": 0.5}}""", "the body is not a valid policy: weights.1 must be a whole number")]
    [InlineData("""{"weights": {"1": "100"}}""", "the body is not a valid policy: weights.1 must be a whole number")]
    [InlineData("""not json""", "the body is not a valid policy: 'not json' is an invalid JSON literal")]
    [InlineData("""[]""", "the body is not a valid policy: the body must be an object")]
    [InlineData("""{"weights": {"1": 100}, "shadow": {"versio": "2"}}""", "the body is not a valid policy: 'versio' is not a key of shadow: its keys are version, percent")]
    [InlineData("""{"weights": {"1": 100}, "weights": {"2": 100}}""", "the body is not a valid policy: 'weights' appears more than once in the policy")]
    [InlineData("""{"weights": {"1": 90, "1": 10}}""", "the body is not a valid policy: '1' appears more than once in weights")]
    [InlineData("""{}""", "weights are required")]
    public async Task InvalidPolicy_400_WithTheReason_OldPolicyStillInForce(string policy, string reason)
    {
        var old = await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");

        var (status, body) = await Policies.PutAsync(fixture.Gateway.Admin!, "tabular", policy);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        var now = await Policies.GetAsync(fixture.Gateway.Admin!);
        Assert.Equal((old.GetProperty("revision").GetInt64(), "1=100 2=0"), (now.GetProperty("revision").GetInt64(), Policies.Weights(now)));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("1", (await Infer.RestAsync(fixture.Gateway.Http)).Version);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PolicyOverTheLimit_413_WithTheReason_HoweverSent_OldPolicyStays(bool chunked)
    {
        // Sent chunked, Kestrel's limit met while reading it answered 413 with an empty body (found by AdminInputFuzzTests).
        var old = await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/models/tabular/policy")
        {
            Content = new StringContent(Policies.TwoVersions(0, 100).PadRight(64 * 1024 + 1), Encoding.UTF8, "application/json"),
        };
        request.Headers.TransferEncodingChunked = chunked;

        using var response = await fixture.Gateway.Admin!.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("a policy is at most 65536 bytes", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal(old.GetProperty("revision").GetInt64(), (await Policies.GetAsync(fixture.Gateway.Admin!)).GetProperty("revision").GetInt64());
    }

    [Theory]
    [InlineData("abc", "count must be a whole number (got 'abc')")]
    [InlineData("1.5", "count must be a whole number (got '1.5')")]
    [InlineData("1&count=2", "count must be a whole number (got '1,2')")]
    public async Task History_CountNotAWholeNumber_400WithTheReason(string count, string reason)
    {
        // The count was bound as a number by ASP.NET Core: ?count=abc was a 400 with an empty body (found by AdminInputFuzzTests).
        using var response = await fixture.Gateway.Admin!.GetAsync($"/admin/models/tabular/policy/history?count={count}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(reason, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("", 2, 20)]
    [InlineData("0", 1, 1)]
    [InlineData("-5", 1, 1)]
    [InlineData("2", 2, 2)]
    [InlineData("99999999999", 2, 200)]
    public async Task History_Count_OutOfRangeIsClamped(string count, int least, int most)
    {
        // ?count= and a count past int's range were 400s with an empty body too.
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(90, 10));
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(100, 0));

        var text = await fixture.Gateway.Admin!.GetStringAsync($"/admin/models/tabular/policy/history?count={count}");

        Assert.InRange(JsonDocument.Parse(text).RootElement.GetProperty("changes").GetArrayLength(), least, most);
    }

    [Fact]
    public async Task StaleRevision_409_OldPolicyStays()
    {
        var current = await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        var stale = current.GetProperty("revision").GetInt64() - 1;

        var (status, body) = await Policies.PutAsync(fixture.Gateway.Admin!, "tabular", $$"""{"weights": {"1": 0, "2": 100}, "revision": {{stale}}}""");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("not " + stale, body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("1=100 2=0", Policies.Weights(await Policies.GetAsync(fixture.Gateway.Admin!)));
    }

    [Fact]
    public async Task UnknownModel_Put400_Get404()
    {
        var (status, body) = await Policies.PutAsync(fixture.Gateway.Admin!, "nope", """{"weights": {"1": 100}}""");
        using var get = await fixture.Gateway.Admin!.GetAsync("/admin/models/nope/policy");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("model 'nope' is not served by any worker", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task ListModels_VersionsHealthWeightsAndWorkers()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 70, "2": 30}, "sticky_header": "x-user-id"}""");

        using var doc = JsonDocument.Parse(await fixture.Gateway.Admin!.GetStringAsync("/admin/models"));

        var tabular = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "tabular");
        Assert.True(tabular.GetProperty("ready").GetBoolean());
        var versions = tabular.GetProperty("versions").EnumerateArray().Select(v =>
            (v.GetProperty("version").GetString(), v.GetProperty("ready").GetBoolean(), v.GetProperty("weight").GetInt32(), v.GetProperty("healthy_workers").GetInt32())).ToList();
        Assert.Equal([("1", true, 70, 2), ("2", true, 30, 2)], versions);
        Assert.Equal("x-user-id", tabular.GetProperty("policy").GetProperty("sticky_header").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("workers").GetArrayLength());
        Assert.All(doc.RootElement.GetProperty("workers").EnumerateArray(), w => Assert.True(w.GetProperty("healthy").GetBoolean()));
    }

    [Fact]
    public async Task Changes_AreAudited_WhoWhenOldNew()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/models/tabular/policy") { Content = new StringContent("""{"weights": {"1": 60, "2": 40}}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Serving-Actor", "alice");
        using var response = await fixture.Gateway.Admin!.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var doc = JsonDocument.Parse(await fixture.Gateway.Admin!.GetStringAsync("/admin/models/tabular/policy/history?count=1"));

        var change = doc.RootElement.GetProperty("changes").EnumerateArray().Single();
        Assert.StartsWith("alice from ", change.GetProperty("who").GetString(), StringComparison.Ordinal);
        Assert.True(change.GetProperty("at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal("1=100 2=0", Policies.Weights(change.GetProperty("old")));
        Assert.Equal("1=60 2=40", Policies.Weights(change.GetProperty("new")));
    }

    [Fact]
    public async Task NoPolicySet_GetAnswersTheDefault()
    {
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA]);

        var policy = await Policies.GetAsync(gateway.Admin!);

        Assert.Equal(("default", "2=100", 0L), (policy.GetProperty("source").GetString(), Policies.Weights(policy), policy.GetProperty("revision").GetInt64()));
    }

    [Fact]
    public async Task NoTokenConfigured_AdminApiOff_AndSaysSoAtStart()
    {
        var logs = new CapturingLoggerProvider();
        await using var gateway = await GatewayServer.StartAsync(
            [fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:AdminToken"] = "" }, t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));

        Assert.False(gateway.Listeners.AdminEnabled);
        Assert.Null(gateway.Admin);
        using var response = await gateway.Http.GetAsync("/admin/models");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var otherCase = await gateway.Http.GetAsync("/Admin/models");
        Assert.Equal(HttpStatusCode.NotFound, otherCase.StatusCode);
        var announcement = Assert.Single(logs.Entries, e => e.Category == typeof(AdminAnnouncement).FullName && e.Message.Contains("admin API", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, announcement.Level);
        Assert.StartsWith("The admin API is off: set Serving:Gateway:AdminToken", announcement.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminApi_ByDefault_ListensOnLoopbackOnly_EvenWhenTheFrontDoorListensEverywhere()
    {
        var logs = new CapturingLoggerProvider();
        await using var gateway = await GatewayServer.StartAsync(
            [fixture.WorkerA],
            new Dictionary<string, string?>
            {
                ["Serving:Gateway:BindAddress"] = "0.0.0.0",
                [$"Logging:LogLevel:{typeof(AdminAnnouncement).FullName}"] = "Information",
            },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));

        Assert.Equal(IPAddress.Any, gateway.Listeners.Rest!.IPEndPoint!.Address);
        Assert.Equal(IPAddress.Loopback, gateway.Listeners.Admin!.IPEndPoint!.Address);
        Assert.Contains($"http://127.0.0.1:{gateway.Listeners.AdminPort}", gateway.App.Urls);
        Assert.Contains(logs.Entries, e => e.Category == typeof(AdminAnnouncement).FullName
            && e.Message.StartsWith($"The admin API listens on 127.0.0.1:{gateway.Listeners.AdminPort} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_KeepsThePolicy_FileStore()
    {
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?> { ["Serving:Gateway:DataDirectory"] = data.Path };
        JsonElement saved;
        await using (var first = await GatewayServer.StartAsync([fixture.WorkerA], settings))
        {
            saved = await Policies.SetAsync(first, """{"weights": {"1": 100, "2": 0}, "sticky_header": "x-user-id", "shadow": {"version": "2", "percent": 5}}""");
        }

        await using var second = await GatewayServer.StartAsync([fixture.WorkerA], settings);
        var loaded = await Policies.GetAsync(second.Admin!);

        Assert.Equal(saved.GetProperty("revision").GetInt64(), loaded.GetProperty("revision").GetInt64());
        Assert.Equal("1=100 2=0", Policies.Weights(loaded));
        Assert.Equal("x-user-id", loaded.GetProperty("sticky_header").GetString());
        Assert.Equal(5, loaded.GetProperty("shadow").GetProperty("percent").GetInt32());
        Assert.Equal("1", (await Infer.RestAsync(second.Http)).Version);
    }
}
