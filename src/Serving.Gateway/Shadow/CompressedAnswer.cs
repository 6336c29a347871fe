using System.Runtime.InteropServices;
using Serving.Hosting.Http;

namespace Serving.Gateway.Shadow;

/// <summary>A primary's REST answer as the worker compressed it for its caller (gzip, deflate or br), inflated to compare with the shadow's.</summary>
internal static class CompressedAnswer
{
    public enum Outcome
    {
        Inflated,
        TooLarge,
        Unreadable,
    }

    /// <summary>Inflates <paramref name="body"/> up to <paramref name="limit"/> bytes.</summary>
    public static Outcome TryInflate(ReadOnlyMemory<byte> body, string encoding, int limit, out ReadOnlyMemory<byte> inflated)
    {
        inflated = default;
        var source = MemoryMarshal.TryGetArray(body, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(body.ToArray(), writable: false);
        // An answer cut short is Unreadable, not the front of one, which would count as a disagreement.
        Stream? inflater = CheckedInflateStream.Create(source, encoding);
        if (inflater is null)
        {
            return Outcome.Unreadable;
        }

        using (inflater)
        {
            var output = new MemoryStream();
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = inflater.Read(buffer)) > 0)
                {
                    if (output.Length + read > limit)
                    {
                        return Outcome.TooLarge;
                    }

                    output.Write(buffer, 0, read);
                }
            }
            catch (Exception e) when (CompressedData.IsNotValid(e))
            {
                return Outcome.Unreadable;
            }

            inflated = output.GetBuffer().AsMemory(0, (int)output.Length);
            return Outcome.Inflated;
        }
    }
}
