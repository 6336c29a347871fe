namespace Serving.Testing;

/// <summary>The HTTP client the test servers hand out.</summary>
public static class TestHttp
{
    /// <summary>
    /// How long a request sent with <c>Expect: 100-continue</c> waits for the server's answer before its body goes
    /// anyway. HttpClient's default is 1 s: a server busy for longer (a cold one on a CI machine running other test
    /// assemblies beside it) then gets the body after it has answered a refusal such as 413 and closed, and the
    /// client sees a broken pipe instead of the answer. Our servers always answer the expectation, so waiting long is free.
    /// </summary>
    public static readonly TimeSpan ExpectContinueTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A client of <paramref name="baseAddress"/> with a 30 s timeout and <see cref="ExpectContinueTimeout"/>.</summary>
    public static HttpClient Client(Uri baseAddress) =>
        new(new SocketsHttpHandler { Expect100ContinueTimeout = ExpectContinueTimeout })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
}
