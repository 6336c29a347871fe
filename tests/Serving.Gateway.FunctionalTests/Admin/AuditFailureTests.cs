using System.Net;
using System.Text;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Traffic;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>
/// A change whose audit entry can't be written is in force (200), and the answer says the entry is missing: it said
/// nothing, and only the gateway's log knew that the history had lost a revision.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditFailureTests(GatewayFixture fixture)
{
    [Fact]
    public async Task AuditNotWritten_ChangeInForce_AnswerSaysTheEntryIsMissing()
    {
        using var data = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(data.Path, FileTrafficPolicyStore.AuditFile)); // a folder where the audit file goes
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:DataDirectory"] = data.Path });

        using var response = await gateway.Admin!.PutAsync("/admin/models/tabular/policy", new StringContent(Policies.TwoVersions(30, 70), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TryGetValues("X-Serving-Audit-Error", out var audit));
        Assert.StartsWith("the change is in force but its audit entry was not written: ", audit.Single(), StringComparison.Ordinal);
        Assert.Equal("1=30 2=70", Policies.Weights(await Policies.GetAsync(gateway.Admin!)));
    }

    [Fact]
    public async Task AuditNotWritten_TrafficSet_PrintsTheWarning()
    {
        using var data = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(data.Path, FileTrafficPolicyStore.AuditFile));
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:DataDirectory"] = data.Path });

        var (code, output, error) = await ServingCli.RunAsync(
            "traffic", "set", "tabular", "1=30", "2=70", "--admin", gateway.Admin!.BaseAddress!.ToString(), "--token", GatewayServer.AdminToken);

        Assert.True(code == 0, error);
        Assert.Contains("\"revision\"", output, StringComparison.Ordinal);
        Assert.Contains("serving traffic: warning: the change is in force but its audit entry was not written: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditWritten_NoAuditErrorHeader()
    {
        using var data = new TempDirectory();
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:DataDirectory"] = data.Path });

        using var response = await gateway.Admin!.PutAsync("/admin/models/tabular/policy", new StringContent(Policies.TwoVersions(30, 70), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Serving-Audit-Error"));
    }
}
