using Serving.Commands;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Runs the <c>serving</c> command line in-process with the console captured (tests here run one at a time).</summary>
internal static class ServingCli
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = await ServingCommandLine.InvokeAsync(args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}
