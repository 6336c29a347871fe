namespace Serving.Commands;

/// <summary>A server address given on the command line: <c>host:port</c>, or an <c>http://</c> / <c>https://</c> URL.</summary>
internal static class CliAddress
{
    public static bool TryParse(string? text, out Uri address)
    {
        address = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            return false;
        }

        address = uri;
        return true;
    }
}
