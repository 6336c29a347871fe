using System.Diagnostics;
using Serving.Testing;

namespace Serving.Deploy.Tests;

/// <summary>
/// The README's run command, <c>./serving</c>: it builds once and rebuilds only when a source changed. Run on a copy
/// of the script in a scratch tree, with a stand-in <c>dotnet</c> on PATH that logs what it was asked to do
/// (publish creates the dll the first time and, like the real one, leaves an unchanged dll's time alone).
/// </summary>
public sealed class LauncherScriptTests : IDisposable
{
    private static readonly DateTime Old = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string _root = Directory.CreateTempSubdirectory("serving-launcher-").FullName;

    public LauncherScriptTests()
    {
        File.Copy(Path.Combine(RepoPaths.Root, "serving"), Path.Combine(_root, "serving"));
        Write("src/Serving/Serving.csproj");
        Write("src/Serving/Program.cs");
        Write("protos/inference.proto");
        Write("Directory.Build.props");
        Write("Directory.Packages.props");
        Write("fake/dotnet", """
            #!/usr/bin/env bash
            echo "$*" >> "$(dirname "$0")/calls"
            if [ "$1" = publish ]; then
              while [ $# -gt 0 ]; do if [ "$1" = -o ]; then mkdir -p "$2"; [ -f "$2/serving.dll" ] || : > "$2/serving.dll"; fi; shift; done
            fi
            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(_root, "fake/dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        foreach (var file in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, Old);
        }
    }

    [Fact]
    public void FirstRun_Builds_ThenRuns()
    {
        var calls = Run("up");

        Assert.Equal(2, calls.Count);
        Assert.StartsWith("publish ", calls[0], StringComparison.Ordinal);
        Assert.EndsWith("artifacts/serving/serving.dll up", calls[1], StringComparison.Ordinal);
    }

    [Fact]
    public void SecondRun_DoesNotBuild()
    {
        Run("up");

        var calls = Run("up");

        Assert.Equal(["up"], calls.Select(LastWord));
    }

    [Fact]
    public void BuildOutputNewerThanTheDll_DoesNotBuild()
    {
        Run("up");
        Age(Path.Combine(_root, "artifacts/serving/serving.dll"));
        Write("src/Serving/obj/Release/net10.0/Serving.AssemblyInfo.cs");
        Write("src/Serving/bin/Release/net10.0/serving.dll");

        var calls = Run("up");

        Assert.Equal(["up"], calls.Select(LastWord));
    }

    [Theory]
    [InlineData("src/Serving/Program.cs")]
    [InlineData("src/Serving.Worker/Batching/New.cs")]
    [InlineData("protos/inference.proto")]
    [InlineData("Directory.Packages.props")]
    public void SourceChanged_Builds_Once(string source)
    {
        Run("up");
        Age(Path.Combine(_root, "artifacts/serving/serving.dll"));
        Write(source);

        var changed = Run("up");
        var after = Run("up");

        Assert.StartsWith("publish ", changed[0], StringComparison.Ordinal);
        Assert.Equal(2, changed.Count);
        Assert.Equal(["up"], after.Select(LastWord));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string LastWord(string call) => call[(call.LastIndexOf(' ') + 1)..];

    private static void Age(string path) => File.SetLastWriteTimeUtc(path, Old.AddHours(1));

    private void Write(string relative, string text = "")
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
    }

    /// <summary>Runs ./serving with <paramref name="arguments"/>; returns the stand-in dotnet's calls it made.</summary>
    private List<string> Run(string arguments)
    {
        var log = Path.Combine(_root, "fake/calls");
        File.Delete(log);
        var start = new ProcessStartInfo("bash", [Path.Combine(_root, "serving"), arguments])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["PATH"] = Path.Combine(_root, "fake") + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "./serving did not finish");
        Assert.True(process.ExitCode == 0, stderr.Result);
        return File.Exists(log) ? [.. File.ReadAllLines(log)] : [];
    }
}
