namespace Serving.Worker.Models;

/// <summary>What a load on request came to: the model's folder found or not, and why it did not load if it didn't.</summary>
internal sealed record ModelLoad(bool Found, string? Failure)
{
    public static readonly ModelLoad NotFound = new(false, null);

    public static readonly ModelLoad Loaded = new(true, null);
}
