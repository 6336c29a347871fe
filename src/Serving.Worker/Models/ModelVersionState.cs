namespace Serving.Worker.Models;

/// <summary>Where a version is in its life, as the repository index reports it (Triton's names).</summary>
internal enum ModelVersionState
{
    /// <summary>Being loaded and warmed up.</summary>
    Loading,
    /// <summary>Serving.</summary>
    Ready,
    /// <summary>Failed to load; the reason says why.</summary>
    Unavailable,
    /// <summary>Removed; finishing in-flight requests before it is disposed.</summary>
    Unloading,
}
