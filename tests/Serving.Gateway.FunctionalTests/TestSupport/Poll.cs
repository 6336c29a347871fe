namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Waits for a condition by polling it; fails the test when it does not hold within 20 s (a hang guard, not a timing assertion).</summary>
internal static class Poll
{
    public static Task UntilAsync(Func<bool> condition) => UntilAsync(() => Task.FromResult(condition()));

    public static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 20 s");
            await Task.Delay(20);
        }
    }
}
