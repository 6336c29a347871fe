using System.Globalization;

namespace Serving.LoadTests.Reporting;

/// <summary>Number formatting for reports, independent of the machine's culture.</summary>
internal static class Format
{
    /// <summary>An integer with thousands separators.</summary>
    public static string Int(double value) => Math.Round(value).ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A number with <paramref name="decimals"/> decimals.</summary>
    public static string Fixed(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Microseconds, switching to ms above 10 ms for readability.</summary>
    public static string Micros(double micros) =>
        micros >= 10_000 ? Fixed(micros / 1000, 1) + " ms" : Int(micros) + " µs";
}
