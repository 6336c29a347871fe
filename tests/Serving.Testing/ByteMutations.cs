namespace Serving.Testing;

/// <summary>The byte mutations of the mutation fuzz tests (shared by the test projects, linked into those that don't reference this one).</summary>
public static class ByteMutations
{
    /// <summary>Flips, overwrites, inserts, deletes or cuts a few bytes.</summary>
    public static byte[] Mutate(byte[] bytes, Random random, Func<Random, byte[]>? insertion = null)
    {
        var list = new List<byte>(bytes);
        for (var m = random.Next(1, 4); m > 0 && list.Count > 0; m--)
        {
            var at = random.Next(list.Count);
            switch (random.Next(6))
            {
                case 0:
                    list[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    list[at] = (byte)random.Next(256);
                    break;
                case 2:
                    list.InsertRange(at, insertion?.Invoke(random) ?? [(byte)random.Next(256)]);
                    break;
                case 3:
                    list.RemoveRange(at, Math.Min(random.Next(1, 8), list.Count - at));
                    break;
                case 4:
                    list.RemoveRange(at, list.Count - at);
                    break;
                default:
                    var from = random.Next(list.Count);
                    list.InsertRange(at, list.GetRange(from, Math.Min(random.Next(1, 16), list.Count - from)));
                    break;
            }
        }

        return [.. list];
    }
}
