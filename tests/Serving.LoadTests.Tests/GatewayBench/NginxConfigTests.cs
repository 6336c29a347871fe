using System.Text.RegularExpressions;
using Serving.LoadTests.GatewayBench;

namespace Serving.LoadTests.Tests.GatewayBench;

public sealed class NginxConfigTests
{
    private static readonly NginxSettings Settings = new(
        "/tmp/nginx-prefix", GrpcPort: 41001, RestPort: 41002, TargetAddresses.Loopback(grpcPort: 42001, restPort: 42002), WorkerProcesses: "auto");

    [Fact]
    public void Render_Listeners_GrpcOnHttp2AndRestOnHttp1AtTheGivenPorts()
    {
        var text = NginxConfig.Render(Settings);

        Assert.Contains("listen 127.0.0.1:41001 http2;", text, StringComparison.Ordinal);
        Assert.Contains("listen 127.0.0.1:41002;", text, StringComparison.Ordinal);
        Assert.DoesNotContain("listen 127.0.0.1:41002 http2;", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Upstreams_PointAtTheWorkersPortsWithKeepalive()
    {
        var text = NginxConfig.Render(Settings);

        Assert.Equal("127.0.0.1:42001", UpstreamServer(text, "worker_grpc"));
        Assert.Equal("127.0.0.1:42002", UpstreamServer(text, "worker_rest"));
        Assert.Equal(2, Count(text, "keepalive 64;"));
        Assert.Contains("grpc_pass grpc://worker_grpc;", text, StringComparison.Ordinal);
        Assert.Contains("proxy_pass http://worker_rest;", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_KeepaliveRequests_RaisedOnTheClientSideAndBothUpstreams()
    {
        var text = NginxConfig.Render(Settings);

        // http level (client connections, HTTP/1.1 and HTTP/2) + one per upstream.
        Assert.Equal(3, Count(text, "keepalive_requests 1000000;"));
        Assert.Matches(new Regex(@"http \{[^}]*keepalive_requests 1000000;", RegexOptions.Singleline), text);
    }

    [Fact]
    public void Render_RestUpstreamKeepalive_NeedsHttp11AndNoConnectionHeader()
    {
        var text = NginxConfig.Render(Settings);

        Assert.Contains("proxy_http_version 1.1;", text, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header Connection \"\";", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ProcessSettings_WorkersAccessLogOffAndFilesUnderThePrefix()
    {
        var text = NginxConfig.Render(Settings with { WorkerProcesses = "1" });

        Assert.Contains("worker_processes 1;", text, StringComparison.Ordinal);
        Assert.Contains("access_log off;", text, StringComparison.Ordinal);
        Assert.Contains("pid /tmp/nginx-prefix/nginx.pid;", text, StringComparison.Ordinal);
        Assert.Contains("error_log /tmp/nginx-prefix/error.log warn;", text, StringComparison.Ordinal);
        Assert.Contains("client_body_temp_path /tmp/nginx-prefix/temp/client_body;", text, StringComparison.Ordinal);
        Assert.DoesNotContain("daemon", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_RealNginx_AcceptsTheConfig()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(Path.Combine(dir.Path, "temp"));
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "nginx.conf"), NginxConfig.Render(Settings with { Prefix = dir.Path }));
        var start = new System.Diagnostics.ProcessStartInfo(InstalledNginx.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-t", "-p", dir.Path + "/", "-c", "nginx.conf" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, stderr);
        Assert.Contains("syntax is ok", stderr, StringComparison.Ordinal);
    }

    private static string UpstreamServer(string text, string upstream) =>
        Regex.Match(text, $@"upstream {upstream} \{{\s*server ([^;]+);").Groups[1].Value;

    private static int Count(string text, string needle) => Regex.Matches(text, Regex.Escape(needle)).Count;
}
