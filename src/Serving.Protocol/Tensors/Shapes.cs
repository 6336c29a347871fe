using Serving.Protocol.Errors;

namespace Serving.Protocol.Tensors;

/// <summary>Shape arithmetic with the checks every request needs.</summary>
public static class Shapes
{
    /// <summary>The element count of a valid shape (no negative dims; overflow-checked).</summary>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        // As CheckedElementCount says: none, however large the other dims (whose product alone may overflow).
        if (shape.Contains(0L))
        {
            return 0;
        }

        long count = 1;
        foreach (var dim in shape)
        {
            count = checked(count * dim);
        }

        return count;
    }

    /// <summary>
    /// Validates a shape that came from a caller and returns its element count; rejects negative
    /// dims and counts over <paramref name="maxElements"/>.
    /// </summary>
    public static long CheckedElementCount(string tensorName, ReadOnlySpan<long> shape, long maxElements)
    {
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw InferenceException.Invalid($"input '{tensorName}' has a negative dimension in shape {Format(shape)}");
            }
        }

        if (shape.Contains(0L))
        {
            return 0;
        }

        long count = 1;
        foreach (var dim in shape)
        {
            if (dim != 0 && count > maxElements / dim)
            {
                throw InferenceException.TooLarge($"input '{tensorName}' with shape {Format(shape)} has more than the {maxElements} elements allowed per tensor");
            }

            count *= dim;
        }

        if (count > maxElements)
        {
            throw InferenceException.TooLarge($"input '{tensorName}' with shape {Format(shape)} has more than the {maxElements} elements allowed per tensor");
        }

        return count;
    }

    /// <summary>Formats a shape as <c>[a, b, c]</c>.</summary>
    public static string Format(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
