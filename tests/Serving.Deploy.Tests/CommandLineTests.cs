using Serving.Deploy.Tests.Support;
using Serving.Deploy.Tests.Checks;

namespace Serving.Deploy.Tests;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("worker")]
    [InlineData("worker --models /models --rest-port 9000")]
    [InlineData("worker --Serving:Worker:RepositoryPollInterval=00:00:10")]
    [InlineData("gateway --worker-dns serving-workers:8080:8081 --admin-bind 0.0.0.0")]
    [InlineData("drift --archive /var/lib/serving/prediction-logs")]
    [InlineData("traffic set tabular 1=90 2=10 --sticky-header x-user-id")]
    [InlineData("up --bind 0.0.0.0 --models /models")]
    public void Parse_RealCommand_HasNoProblems(string args)
    {
        Problems.None(CliInvocation.Parse(args.Split(' ')).Problems);
    }

    [Theory]
    [InlineData("wroker", "wroker")]
    [InlineData("worker --rest-prot 9000", "--rest-prot")]
    [InlineData("worker --Serving:Worker:RestPrt=9000", "RestPrt")]
    [InlineData("worker --Serving:Gateway:RestPort=9000", "does not read")]
    [InlineData("gateway --admin-port", "--admin-port")]
    [InlineData("traffic set tabular", "weights")]
    [InlineData("traffic", "traffic")]
    public void Parse_WrongCommand_ReportsIt(string args, string expected)
    {
        var problems = CliInvocation.Parse(args.Split(' ')).Problems;

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Listeners_FollowOptionsEnvironmentAndDefaults()
    {
        var cli = CliInvocation.Parse(["gateway", "--rest-port", "9000"]);
        var config = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Serving:Gateway:GrpcPort"] = "9001", ["Serving:Gateway:AdminToken"] = null };

        var listeners = Roles.Listeners(cli, config);

        Assert.Equal([9000, 9001, 8002, 8003], listeners.Select(l => l.Port));
        Assert.Equal("127.0.0.1", listeners.Single(l => l.Property == "AdminPort").Bind);
    }
}
