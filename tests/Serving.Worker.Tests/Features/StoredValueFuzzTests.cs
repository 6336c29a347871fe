using System.Globalization;
using System.Text;
using Serving.Worker.Features;

namespace Serving.Worker.Tests.Features;

/// <summary>
/// Seeded sweep of the stored-value readers, many cases a second (StoredFeaturesFuzzTests drives fewer through a real
/// worker and Redis): <see cref="FeatureValueText.Parse"/> on number-like text, mutated bytes and text that is not
/// UTF-8 must give what <c>double.TryParse(utf8, NumberStyles.Float, InvariantCulture)</c> gives, bit for bit (NaN
/// when it gives nothing), its fast path included; <see cref="PackedFeatures.Parse"/> on mutated packed values must
/// give, per field, the value of the last line named so (its '\r' at the end dropped, the name before the first
/// '='), NaN when no line names it, and null when no line names any field.
/// </summary>
public sealed class StoredValueFuzzTests
{
    // Cases per run: 20,000 in CI; STORED_VALUE_FUZZ_ITERATIONS for a longer search.
    private static readonly int Iterations = OperatorFileMutations.Iterations("STORED_VALUE_FUZZ_ITERATIONS", 20_000);

    private static readonly string[] Fields = ["mean_radius", "b", "é", "x y"];

    [Fact]
    public void FeatureValueText_NumberLikeAndMutatedText_ReadAsDoubleTryParseReadsIt()
    {
        var random = new Random(20261207);
        var failures = new OperatorFileMutations.Failures();
        for (var i = 0; i < Iterations; i++)
        {
            var text = NumberLike(random);
            var bytes = random.Next(3) == 0 ? ByteMutations.Mutate(Encoding.UTF8.GetBytes(text), random) : Encoding.UTF8.GetBytes(text);
            if (bytes.Length == 0)
            {
                continue;
            }

            var expected = double.TryParse(bytes, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
            var actual = FeatureValueText.Parse(bytes);
            if (BitConverter.DoubleToInt64Bits(expected) != BitConverter.DoubleToInt64Bits(actual) && !(double.IsNaN(expected) && double.IsNaN(actual)))
            {
                failures.Add(FeatureValueText.TryParseShortDecimal(bytes, out _) ? "fast path" : "general", $"seed 20261207, case {i}: '{Encoding.UTF8.GetString(bytes)}' ({Convert.ToBase64String(bytes)}): double.TryParse gives {expected:R}, FeatureValueText {actual:R}");
            }
        }

        Assert.False(failures.Any, failures.ToString());
    }

    [Fact]
    public void PackedFeatures_MutatedValues_ReadByNameLastLineWins()
    {
        var packed = new PackedFeatures(Fields);
        var random = new Random(20261208);
        var failures = new OperatorFileMutations.Failures();
        for (var i = 0; i < Iterations; i++)
        {
            var lines = new List<string>();
            foreach (var field in Fields.OrderBy(_ => random.Next(4) == 0 ? random.Next() : 0))
            {
                if (random.Next(6) != 0)
                {
                    lines.Add(field + "=" + (random.Next(3) == 0 ? NumberLike(random) : (random.NextDouble() * 100).ToString("R", CultureInfo.InvariantCulture)));
                }
            }

            if (random.Next(3) == 0)
            {
                string[] odd = ["", "=", "=1", "mean_radius", "mean_radius =2", " b=3", "B=4", "b=5=6", "\r", "unknown=7", "é=8\r", "x y=9"];
                lines.Insert(random.Next(lines.Count + 1), odd[random.Next(odd.Length)]);
            }

            var newline = random.Next(4) == 0 ? "\r\n" : "\n";
            var bytes = Encoding.UTF8.GetBytes(string.Join(newline, lines) + (random.Next(2) == 0 ? newline : ""));
            if (random.Next(3) == 0)
            {
                bytes = ByteMutations.Mutate(bytes, random);
            }

            var expected = Meaning(bytes);
            var actual = packed.Parse(bytes);
            if (!(expected is null ? actual is null : actual is not null && expected.Zip(actual).All(p => BitConverter.DoubleToInt64Bits(p.First) == BitConverter.DoubleToInt64Bits(p.Second))))
            {
                failures.Add(expected is null || actual is null ? "entity" : "values", $"seed 20261208, case {i}: {Convert.ToBase64String(bytes)}: expected [{(expected is null ? "no entity" : string.Join(", ", expected))}], read [{(actual is null ? "no entity" : string.Join(", ", actual))}]");
            }
        }

        Assert.False(failures.Any, failures.ToString());
    }

    // Per line (split at '\n', a '\r' at its end dropped): the name before the first '=' as UTF-8 bytes; the last line of a field wins.
    private static double[]? Meaning(byte[] packed)
    {
        var values = new double?[Fields.Length];
        foreach (var line in Split(packed))
        {
            var text = line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
            var equals = Array.IndexOf(text, (byte)'=');
            var field = equals > 0 ? Array.FindIndex(Fields, f => Encoding.UTF8.GetBytes(f).AsSpan().SequenceEqual(text.AsSpan(0, equals))) : -1;
            if (field >= 0)
            {
                var value = text[(equals + 1)..];
                values[field] = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
            }
        }

        return values.All(v => v is null) ? null : [.. values.Select(v => v ?? double.NaN)];
    }

    private static IEnumerable<byte[]> Split(byte[] bytes)
    {
        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == '\n')
            {
                yield return bytes[start..i];
                start = i + 1;
            }
        }
    }

    // Text shaped like a number: signs, digits, a point, an exponent, spaces, and the odd forms around them.
    private static string NumberLike(Random random)
    {
        string[] whole = ["NaN", "-NaN", "Infinity", "-Infinity", "+Infinity", "∞", "-∞", "nan", "inf", "0x1F", "1,5", "1_0", "١٢", "1e", "e1", ".", "-", "+", "--1", "1..2", "1.2.3"];
        if (random.Next(8) == 0)
        {
            return whole[random.Next(whole.Length)];
        }

        var text = new StringBuilder();
        string Digits(int max) => string.Concat(Enumerable.Range(0, random.Next(max)).Select(_ => (char)('0' + random.Next(10))));
        text.Append(random.Next(4) switch { 0 => " ", 1 => "\t", _ => "" });
        text.Append(random.Next(4) switch { 0 => "-", 1 => "+", _ => "" });
        text.Append(random.Next(6) == 0 ? new string('0', random.Next(30)) : "");
        text.Append(Digits(random.Next(3) == 0 ? 40 : 17));
        if (random.Next(2) == 0)
        {
            text.Append('.').Append(Digits(random.Next(3) == 0 ? 40 : 24));
        }

        if (random.Next(4) == 0)
        {
            text.Append(random.Next(2) == 0 ? 'e' : 'E').Append(random.Next(3) switch { 0 => "-", 1 => "+", _ => "" }).Append(Digits(5));
        }

        text.Append(random.Next(6) switch { 0 => " ", 1 => "\n", 2 => "\u00A0", _ => "" });
        return text.ToString();
    }
}
