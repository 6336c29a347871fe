namespace Serving.LoadTests.Targets;

/// <summary>The connections to one target and the request to send; hands out callers.</summary>
internal interface IInferClient : IDisposable
{
    /// <summary>The first message of each kind of failed call.</summary>
    ErrorSamples Errors { get; }

    /// <summary>The bytes of one request message or body, as sent.</summary>
    int RequestBytes { get; }

    /// <summary>Creates caller number <paramref name="index"/>; the index decides which connection it uses.</summary>
    IInferCaller CreateCaller(int index);

    /// <summary>Sends one request and checks the answer, returning an explanation when it failed.</summary>
    Task<string?> PreflightAsync(CancellationToken cancellationToken);
}
