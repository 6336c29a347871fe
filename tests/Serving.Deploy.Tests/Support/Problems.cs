namespace Serving.Deploy.Tests.Support;

/// <summary>Assertions over problem lists that print every problem in full.</summary>
internal static class Problems
{
    public static void None(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        Assert.True(list.Count == 0, "problems:\n" + string.Join('\n', list));
    }
}
