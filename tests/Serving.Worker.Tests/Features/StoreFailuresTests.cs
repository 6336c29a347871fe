using StackExchange.Redis;
using Serving.Worker.Features;

namespace Serving.Worker.Tests.Features;

/// <summary>Which failed calls the shared circuit breaker counts: the store's own (down, slow, unable to serve), not a model's keys'.</summary>
public sealed class StoreFailuresTests
{
    [Theory]
    [InlineData("LOADING Redis is loading the dataset in memory")]
    [InlineData("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")]
    [InlineData("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")]
    [InlineData("TRYAGAIN Multiple keys request during rehashing of slot")]
    [InlineData("CLUSTERDOWN The cluster is down")]
    [InlineData("OOM command not allowed when used memory > 'maxmemory'.")]
    public void ServerThatCanServeNobody_Unavailable(string reply) =>
        Assert.True(StoreFailures.IsUnavailable(Reply(reply)), reply);

    [Theory]
    [InlineData("NOPERM this user has no permissions to access one of the keys used as arguments")]
    [InlineData("WRONGTYPE Operation against a key holding the wrong kind of value")]
    [InlineData("ERR user_script:3: too many results to unpack script: 1a2b, on @user_script:3.")]
    [InlineData("BUSYKEY Target key name already exists.")]
    public void ErrorOfTheCallsOwnKeysOrScript_NotUnavailable(string reply) =>
        Assert.False(StoreFailures.IsUnavailable(Reply(reply)), reply);

    [Fact]
    public void ConnectionLostOrTimedOut_Unavailable()
    {
        Assert.True(StoreFailures.IsUnavailable(new RedisConnectionException(ConnectionFailureType.SocketClosed, CommandFlags.None, "closed", null, CommandStatus.Sent)));
        Assert.True(StoreFailures.IsUnavailable(new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "No connection is active/available to service this operation", null, CommandStatus.WaitingToBeSent)));
        Assert.True(StoreFailures.IsUnavailable(new RedisTimeoutException(CommandFlags.None, "Timeout awaiting response", CommandStatus.Sent)));
        Assert.True(StoreFailures.IsUnavailable(new TimeoutException()));
    }

    [Fact]
    public void ReplyThatDoesNotParseOrCommandRefusedByTheClient_NotUnavailable()
    {
        Assert.False(StoreFailures.IsUnavailable(new InvalidDataException("the feature script answered 3 value(s) for an entity, expected 30")));
        Assert.False(StoreFailures.IsUnavailable(new InvalidCastException()));
        Assert.False(StoreFailures.IsUnavailable(new RedisCommandException("Multi-key operations must involve a single slot")));
    }

    /// <summary>A server error as the client makes it of a reply: its kind read from the reply's prefix.</summary>
    private static RedisServerException Reply(string reply) => new(KindOf(reply), CommandFlags.None, reply);

    private static RedisErrorKind KindOf(string reply) => reply.Split(' ')[0] switch
    {
        "LOADING" => RedisErrorKind.Loading,
        "BUSY" => RedisErrorKind.Busy,
        "MASTERDOWN" => RedisErrorKind.MasterDown,
        "TRYAGAIN" => RedisErrorKind.TryAgain,
        "CLUSTERDOWN" => RedisErrorKind.ClusterDown,
        "OOM" => RedisErrorKind.OutOfMemory,
        "NOPERM" => RedisErrorKind.NoPermission,
        "WRONGTYPE" => RedisErrorKind.WrongType,
        "ERR" => RedisErrorKind.UnknownError,
        _ => RedisErrorKind.Unknown,
    };
}
