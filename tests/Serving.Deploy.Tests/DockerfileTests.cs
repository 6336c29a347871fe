using Serving.Deploy.Tests.Checks;
using Serving.Deploy.Tests.Support;

namespace Serving.Deploy.Tests;

public sealed class DockerfileTests
{
    [Fact]
    public void Dockerfile_AsCommitted_MatchesTheCode()
    {
        Problems.None(DockerfileChecker.Check(Manifests.Dockerfile()));
    }

    [Theory]
    [InlineData("EXPOSE 8080 8081 8082", "EXPOSE 8080 8081 8083", "EXPOSE 8083")]
    [InlineData("EXPOSE 8090 8091", "EXPOSE 8090", "port 8091")]
    [InlineData("USER 1654:1654", "USER root", "runs as root")]
    [InlineData("ENTRYPOINT [\"serving\"]", "ENTRYPOINT [\"servng\"]", "ENTRYPOINT")]
    [InlineData("ln -s /app/serving /usr/local/bin/serving", "ln -s /app/serving /usr/bin/serving", "not on PATH")]
    [InlineData("CMD [\"up\", \"--bind\"", "CMD [\"upp\", \"--bind\"", "CMD:")]
    [InlineData("\"--bind\", \"0.0.0.0\"", "\"--bnd\", \"0.0.0.0\"", "--bnd")]
    [InlineData("${Serving__Worker__RestPort:-8080}", "${Serving__Worker__RestPort:-8081}", "worker RestPort is 8081")]
    [InlineData("${Serving__Drift__RestPort:-8091}", "${Serving__Drift__ReportPort:-8091}", "drift:ReportPort")]
    [InlineData("path=/v2/health/ready", "path=/healthz", "/healthz")]
    [InlineData("Serving__Drift__Archive__Directory=", "Serving__Drift__Archive__Folder=", "'Folder'")]
    [InlineData("Serving__Worker__ModelRepository=/models", "Serving__Worker__ModelRepository=/srv/models", "ModelRepository=/srv/models")]
    [InlineData("ARG DOTNET_VERSION=10.0", "ARG DOTNET_VERSION=9.0", "TargetFramework")]
    [InlineData("--no-restore -p:OnnxRuntimeGpu=$gpu", "--no-restore", "OnnxRuntimeGpu")]
    public void Check_WrongDockerfile_ReportsIt(string from, string to, string expected)
    {
        var problems = DockerfileChecker.Check(Manifests.Dockerfile(Manifests.Edit(Manifests.Read(Manifests.DockerfilePath), from, to)));

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Dockerignore_KeepsWhatTheBuildCopies_AndDropsBuildOutput()
    {
        var ignored = Manifests.Read(".dockerignore").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet();
        var copied = Manifests.Dockerfile().Instructions
            .Where(i => i.Keyword == "COPY" && !i.Arguments.StartsWith("--from", StringComparison.Ordinal) && i.Heredocs.Count == 0)
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .Where(a => !a.StartsWith("--", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(copied);
        Assert.All(copied, source => Assert.DoesNotContain(source.Split('/')[0] + (source.Contains('/', StringComparison.Ordinal) ? "/" : ""), ignored));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }
}
