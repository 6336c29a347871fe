using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Models;

/// <summary>Versions appear, disappear and reload while serving; model control needs the admin token.</summary>
public sealed class RepositoryLifecycleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static Task<WorkerServer> StartAsync(string repository, string? token = null) =>
        WorkerServer.StartAsync(repository, new Dictionary<string, string?>
        {
            ["Serving:Worker:RepositoryPollInterval"] = "00:00:00.100",
            ["Serving:Worker:AdminToken"] = token,
        });

    [Fact]
    public async Task NewVersionFolder_AppearsReadyAndServes_RemovedFolderDisappears()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path);
        var golden = GoldenFile.Load("tabular", "1");

        RepoPaths.CopyDirectory(Path.Combine(repo.Path, "tabular", "1"), Path.Combine(repo.Path, "tabular", "3"));
        await WaitForStatusAsync(server, "/v2/models/tabular/versions/3/ready", HttpStatusCode.OK);
        using (var response = await server.Http.PostAsync("/v2/models/tabular/versions/3/infer", new StringContent(golden.RequestBody())))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Directory.Delete(Path.Combine(repo.Path, "tabular", "3"), recursive: true);
        await WaitForStatusAsync(server, "/v2/models/tabular/versions/3/ready", HttpStatusCode.NotFound);
        using var still = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(golden.RequestBody()));
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task VersionRemovedUnderLoad_InFlightRequestsFinish_NoServerErrors()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path);
        var body = GoldenFile.Load("tabular", "2").RequestBody();
        using var stop = new CancellationTokenSource();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();

        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 5000 && !stop.IsCancellationRequested; i++)
            {
                using var response = await server.Http.PostAsync("/v2/models/tabular/versions/2/infer", new StringContent(body));
                statuses.Add(response.StatusCode);
            }
        })).ToArray();

        await WaitUntilAsync(() => statuses.Count >= 50);
        Directory.Delete(Path.Combine(repo.Path, "tabular", "2"), recursive: true);
        await WaitForStatusAsync(server, "/v2/models/tabular/versions/2/ready", HttpStatusCode.NotFound);
        await WaitUntilAsync(() => statuses.Count(s => s == HttpStatusCode.NotFound) >= 4);
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        // Before removal: 200. After: 404 (gone). Never a 5xx from a session disposed under a request.
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable, s.ToString()));
    }

    [Fact]
    public async Task BrokenConfigWhileServing_OldVersionsKeepServing_IndexSaysWhy()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path);
        await File.WriteAllTextAsync(Path.Combine(repo.Path, "tabular", "model.yaml"), "name: tabular\nmax_batch_size: 8\nnot_a_key: 1\n");

        await WaitUntilAsync(async () => (await IndexAsync(server)).Contains("not_a_key", StringComparison.Ordinal));
        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(GoldenFile.Load("tabular", "1").RequestBody()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ModelControl_WithoutTokenConfigured_Forbidden()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path);
        using var response = await server.Http.PostAsync("/v2/repository/models/tabular/unload", null);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("AdminToken", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelControl_TokenChecked_UnloadThenLoad()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: "s3cret");

        using (var none = await server.Http.PostAsync("/v2/repository/models/tabular/unload", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await ControlAsync(server, "tabular", "unload", "wrong"));
        Assert.Equal(HttpStatusCode.NotFound, await ControlAsync(server, "nosuch", "load", "s3cret"));
        Assert.Equal(HttpStatusCode.BadRequest, await ControlAsync(server, "..%2Fetc", "load", "s3cret"));

        Assert.Equal(HttpStatusCode.OK, await ControlAsync(server, "tabular", "unload", "s3cret"));
        await Task.Delay(300); // several polls: an unloaded model must stay unloaded
        using (var gone = await server.Http.GetAsync("/v2/models/tabular/ready"))
        {
            // Known to the repository, not ready (Triton's ModelReady says false): not an unknown model.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, gone.StatusCode);
        }

        using (var infer = await server.Http.PostAsync("/v2/models/tabular/infer", new StringContent(GoldenFile.Load("tabular", "1").RequestBody())))
        {
            Assert.Equal(HttpStatusCode.NotFound, infer.StatusCode);
            Assert.Contains("model 'tabular' is unloaded: load it with POST /v2/repository/models/tabular/load", await infer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, await ControlAsync(server, "tabular", "load", "s3cret"));
        using var back = await server.Http.GetAsync("/v2/models/tabular/versions/2/ready");
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Theory]
    [InlineData("bearer s3cret")]
    [InlineData("BEARER s3cret")]
    [InlineData("Bearer  s3cret")]
    public async Task ModelControl_BearerSchemeInAnyCase_Taken(string authorization)
    {
        // RFC 9110 §11.1: the scheme is case-insensitive, as the gateway's admin API takes it ("bearer" was 401 here).
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: "s3cret");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/repository/models/tabular/load");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await server.Http.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{authorization}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.Unauthorized, await ControlAsync(server, "tabular", "load", "s3cre"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ControlAsync(server, "tabular", "load", "s3cret-and-more"));
    }

    [Fact]
    public async Task ModelControl_Grpc_TokenInMetadata_UnloadThenLoad_ErrorsAsStatusCodes()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: "s3cret");
        var good = new Grpc.Core.Metadata { { "authorization", "Bearer s3cret" } };

        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, await GrpcControlAsync(server, "tabular", load: false, null));
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, await GrpcControlAsync(server, "tabular", load: false, new() { { "authorization", "Bearer wrong" } }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, await GrpcControlAsync(server, "nosuch", load: true, good));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, await GrpcControlAsync(server, "../etc", load: true, good));
        var withConfig = new RepositoryModelLoadRequest { ModelName = "tabular" };
        withConfig.Parameters["config"] = new ModelRepositoryParameter { StringParam = "{\"max_batch_size\": 1}" };
        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => server.Grpc.RepositoryModelLoadAsync(withConfig, good).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("takes no parameters", refused.Status.Detail, StringComparison.Ordinal);

        Assert.Equal(Grpc.Core.StatusCode.OK, await GrpcControlAsync(server, "tabular", load: false, good));
        Assert.DoesNotContain((await server.Grpc.RepositoryIndexAsync(new RepositoryIndexRequest { Ready = true })).Models, m => m.Name == "tabular");
        Assert.Equal(Grpc.Core.StatusCode.OK, await GrpcControlAsync(server, "tabular", load: true, good));
        Assert.True((await server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "tabular", Version = "2" })).Ready);
    }

    [Fact]
    public async Task Unload_AsTritonsClientsSendIt_UnloadDependentsTaken_IndexStillListsTheVersionsAsUnloaded()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: "s3cret");
        var good = new Grpc.Core.Metadata { { "authorization", "Bearer s3cret" } };

        // tritonclient.http sends this body with every unload_model() (unload_dependents defaults to false).
        Assert.Equal(HttpStatusCode.OK, await ControlAsync(server, "tabular", "unload", "s3cret", """{"parameters":{"unload_dependents":false}}"""));
        var index = JsonDocument.Parse(await IndexAsync(server)).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("name").GetString(), e.GetProperty("version").GetString(), e.GetProperty("state").GetString(), e.GetProperty("reason").GetString()))
            .ToArray();
        Assert.Equal([("tabular", "1", "UNAVAILABLE", "unloaded"), ("tabular", "2", "UNAVAILABLE", "unloaded")], index);
        var grpcIndex = await server.Grpc.RepositoryIndexAsync(new RepositoryIndexRequest());
        Assert.Equal(["1:UNAVAILABLE:unloaded", "2:UNAVAILABLE:unloaded"], grpcIndex.Models.Where(m => m.Name == "tabular").Select(m => $"{m.Version}:{m.State}:{m.Reason}"));
        Assert.False((await server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "tabular" })).Ready);
        Assert.False((await server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "tabular", Version = "2" })).Ready);

        Assert.Equal(HttpStatusCode.OK, await ControlAsync(server, "tabular", "load", "s3cret"));
        Assert.DoesNotContain("unloaded", await IndexAsync(server), StringComparison.Ordinal);

        // tritonclient.grpc sets the parameter on every unload too.
        var unload = new RepositoryModelUnloadRequest { ModelName = "tabular" };
        unload.Parameters[UnloadDependents] = new ModelRepositoryParameter { BoolParam = true };
        await server.Grpc.RepositoryModelUnloadAsync(unload, good);
        Assert.False((await server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "tabular" })).Ready);
        await server.Grpc.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "tabular" }, good);
        Assert.True((await server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "tabular", Version = "2" })).Ready);
    }

    [Theory]
    [InlineData("unload", """{"parameters":{"unload_dependents":"false"}}""", "'unload_dependents' must be true or false")]
    [InlineData("unload", """{"parameters":{"unload_dependents":true,"config":"{}"}}""", "\"unload takes only 'unload_dependents' (true or false), not 'config'\"")]
    [InlineData("unload", """{"parameters":{"foo":true}}""", "\"unload takes only 'unload_dependents' (true or false), not 'foo'\"")]
    [InlineData("load", """{"parameters":{"unload_dependents":false}}""", "load takes no parameters")]
    public async Task ModelControl_Rest_UnloadDependents_OnlyABoolAndOnlyOnUnload(string action, string body, string message)
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: "s3cret");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/repository/models/tabular/{action}") { Content = new StringContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var ready = await server.Http.GetAsync("/v2/models/tabular/versions/2/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task ModelControl_Grpc_UnloadDependentsNotABool_InvalidArgument_ModelStays()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: "s3cret");
        var unload = new RepositoryModelUnloadRequest { ModelName = "tabular" };
        unload.Parameters[UnloadDependents] = new ModelRepositoryParameter { StringParam = "yes" };

        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => server.Grpc.RepositoryModelUnloadAsync(unload, new Grpc.Core.Metadata { { "authorization", "Bearer s3cret" } }).ResponseAsync);

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("'unload_dependents' must be true or false", refused.Status.Detail, StringComparison.Ordinal);
        Assert.True((await server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "tabular", Version = "2" })).Ready);
    }

    [Fact]
    public async Task UnloadedModel_FolderRemoved_LeavesTheIndex_FolderBack_ListedUnloadedUntilLoaded()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: "s3cret");
        Assert.Equal(HttpStatusCode.OK, await ControlAsync(server, "tabular", "unload", "s3cret"));
        var folder = Path.Combine(repo.Path, "tabular");
        var aside = repo.Path + "-aside"; // beside the repository, not in it

        Directory.Move(folder, aside);
        try
        {
            await WaitUntilAsync(async () => !(await IndexAsync(server)).Contains("\"tabular\"", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Move(aside, folder);
        }

        await WaitUntilAsync(async () => (await IndexAsync(server)).Contains("\"unloaded\"", StringComparison.Ordinal));
        using (var ready = await server.Http.GetAsync("/v2/models/tabular/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await ControlAsync(server, "tabular", "load", "s3cret"));
        using var back = await server.Http.GetAsync("/v2/models/tabular/versions/2/ready");
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Fact]
    public async Task ModelControl_WithoutTokenConfigured_Grpc_PermissionDenied()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path);

        Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, await GrpcControlAsync(server, "tabular", load: false, new() { { "authorization", "Bearer x" } }));
    }

    [Theory]
    [InlineData("""{"parameters": {"config": "{}"}}""", "takes no parameters")]
    [InlineData("""{"parameters": {"file:1/model.onnx": "AAAA"}}""", "takes no parameters")]
    [InlineData("""{"parameters": 3}""", "'parameters' must be an object")]
    [InlineData("[1]", "must be a JSON object")]
    [InlineData("{", "not valid JSON")]
    public async Task ModelControl_Rest_ParametersRefused_NotIgnored(string body, string message)
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: "s3cret");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/repository/models/tabular/load") { Content = new StringContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, HttpStatusCode.Forbidden)]
    [InlineData("s3cret", null, HttpStatusCode.Unauthorized)]
    [InlineData("s3cret", "wrong", HttpStatusCode.Unauthorized)]
    public async Task ModelControl_Rest_WhoAsksComesBeforeTheBody(string? configured, string? sent, HttpStatusCode expected)
    {
        // A body that is not valid is the caller's only once the caller may ask at all: a caller without the token is
        // refused as such, and its body is not read.
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: configured);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/repository/models/tabular/unload") { Content = new StringContent("""{"parameters": 5}""") };
        if (sent is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", sent);
        }

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("parameters", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CudaRequestedInModelYaml_OnCpuBuild_VersionUnavailableWithHowTo()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var yaml = Path.Combine(repo.Path, "tabular", "model.yaml");
        await File.AppendAllTextAsync(yaml, "runtime:\n  execution_provider: cuda\n");
        await using var server = await StartAsync(repo.Path);

        var index = await IndexAsync(server);
        Assert.Contains("UNAVAILABLE", index, StringComparison.Ordinal);
        Assert.Contains("-p:OnnxRuntimeGpu=true", index, StringComparison.Ordinal);
    }

    /// <summary>
    /// A load asked for whose model does not come READY answers 400 / INVALID_ARGUMENT saying why, as Triton's does
    /// ("failed to load 'm', …"), each time it is asked; the index agrees. It answered 200 (gRPC OK) with the version
    /// UNAVAILABLE, so `tritonclient`'s load_model returned as if the model were loaded.
    /// </summary>
    [Fact]
    public async Task ModelControl_LoadOfAModelThatFails_400SaysWhy_EachTime_GrpcInvalidArgument()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.TestModels, "corrupt"), Path.Combine(repo.Path, "corrupt"));
        await using var server = await StartAsync(repo.Path, token: "s3cret");
        const string Why = "failed to load 'corrupt': model 'corrupt' version 1: ONNX Runtime could not load model.onnx: [ErrorCode:InvalidProtobuf]";

        for (var i = 0; i < 2; i++)
        {
            var (status, body) = await ControlWithBodyAsync(server, "corrupt", "load", "s3cret");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.StartsWith(Why, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(
            () => server.Grpc.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "corrupt" }, new Grpc.Core.Metadata { { "authorization", "Bearer s3cret" } }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith(Why, refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("\"UNAVAILABLE\"", await IndexAsync(server), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ControlAsync(server, "tabular", "load", "s3cret"));
    }

    /// <summary>
    /// A load asked for whose new files fail says so, and the loaded version keeps serving; so does a model.yaml that is
    /// refused. Both answered 200.
    /// </summary>
    [Fact]
    public async Task ModelControl_ReloadWhoseFilesFail_400SaysWhy_TheLoadedVersionKeepsServing()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await StartAsync(repo.Path, token: "s3cret");
        var body = GoldenFile.Load("tabular", "2").RequestBody();
        await File.WriteAllBytesAsync(Path.Combine(repo.Path, "tabular", "2", "model.onnx"), [1, 2, 3, 4, 5]);

        var (status, answer) = await ControlWithBodyAsync(server, "tabular", "load", "s3cret");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = JsonDocument.Parse(answer).RootElement.GetProperty("error").GetString()!;
        Assert.StartsWith("failed to load 'tabular': model 'tabular' version 2: ONNX Runtime could not load model.onnx", error, StringComparison.Ordinal);
        Assert.EndsWith("(the loaded version keeps serving)", error, StringComparison.Ordinal);
        using (var infer = await server.Http.PostAsync("/v2/models/tabular/versions/2/infer", new StringContent(body)))
        {
            Assert.Equal(HttpStatusCode.OK, infer.StatusCode);
        }

        // The index says it too, beside READY: the files in the folder are not what serves.
        var version2 = JsonDocument.Parse(await IndexAsync(server)).RootElement.EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == "tabular" && e.GetProperty("version").GetString() == "2");
        Assert.Equal("READY", version2.GetProperty("state").GetString());
        Assert.Equal(error["failed to load 'tabular': ".Length..], version2.GetProperty("reason").GetString());

        await File.WriteAllTextAsync(Path.Combine(repo.Path, "tabular", "model.yaml"), "name: tabular\nmax_batch_size: -1\n");
        (status, answer) = await ControlWithBodyAsync(server, "tabular", "load", "s3cret");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(
            "failed to load 'tabular': model 'tabular': model.yaml: 'max_batch_size' must be 0 (no batching) or positive (the loaded versions keep serving)",
            JsonDocument.Parse(answer).RootElement.GetProperty("error").GetString());
        using (var infer = await server.Http.PostAsync("/v2/models/tabular/versions/2/infer", new StringContent(body)))
        {
            Assert.Equal(HttpStatusCode.OK, infer.StatusCode);
        }
    }

    private const string UnloadDependents = "unload_dependents";

    private static async Task<HttpStatusCode> ControlAsync(WorkerServer server, string model, string action, string token, string? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/repository/models/{model}/{action}") { Content = body is null ? null : new StringContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await server.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, string Body)> ControlWithBodyAsync(WorkerServer server, string model, string action, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/repository/models/{model}/{action}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await server.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<Grpc.Core.StatusCode> GrpcControlAsync(WorkerServer server, string model, bool load, Grpc.Core.Metadata? headers)
    {
        try
        {
            if (load)
            {
                await server.Grpc.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = model }, headers);
            }
            else
            {
                await server.Grpc.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = model }, headers);
            }

            return Grpc.Core.StatusCode.OK;
        }
        catch (Grpc.Core.RpcException e)
        {
            return e.StatusCode;
        }
    }

    private static async Task<string> IndexAsync(WorkerServer server)
    {
        using var response = await server.Http.PostAsync("/v2/repository/index", null);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetRawText();
    }

    private static Task WaitForStatusAsync(WorkerServer server, string path, HttpStatusCode status) =>
        WaitUntilAsync(async () =>
        {
            using var response = await server.Http.GetAsync(path);
            return response.StatusCode == status;
        });

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    // A bounded wait for a state change the server makes on its own schedule; it asserts the state, not the time.
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the expected state was not reached");
            await Task.Delay(50);
        }
    }
}
