using System.Collections.Concurrent;
using System.Diagnostics;

namespace Serving.Testing;

/// <summary>
/// The collection a test hands OpenTelemetry's in-memory exporter (which wants an <see cref="ICollection{T}"/>):
/// spans go into <paramref name="queue"/>, which the test may read while the host still exports.
/// </summary>
public sealed class SpanQueue(ConcurrentQueue<Activity> queue) : ICollection<Activity>
{
    /// <inheritdoc />
    public int Count => queue.Count;

    /// <inheritdoc />
    public bool IsReadOnly => false;

    /// <inheritdoc />
    public void Add(Activity item) => queue.Enqueue(item);

    /// <inheritdoc />
    public void Clear() => queue.Clear();

    /// <inheritdoc />
    public bool Contains(Activity item) => queue.Contains(item);

    /// <inheritdoc />
    public void CopyTo(Activity[] array, int arrayIndex) => queue.CopyTo(array, arrayIndex);

    /// <inheritdoc />
    public bool Remove(Activity item) => throw new NotSupportedException();

    /// <inheritdoc />
    public IEnumerator<Activity> GetEnumerator() => queue.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => queue.GetEnumerator();
}
