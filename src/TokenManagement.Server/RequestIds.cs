using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace TokenManagement.Server;

/// <summary>Request ids, and the one place that turns an unexpected exception into a log-safe line.</summary>
internal static partial class RequestIds
{
    public const string Header = "X-Request-Id";

    /// <summary>64 random bits as 16 hex digits: unique enough to find one line in a log.</summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private const int MaxCauseLength = 500;

    /// <summary>
    /// "Type: message" on one line, bounded, quotes escaped, and anything shaped like a token value redacted: exception
    /// messages can quote data, and a secret must never reach the log.
    /// </summary>
    public static string DescribeFailure(Exception failure)
    {
        var text = $"{failure.GetType().FullName}: {failure.Message}";
        text = TokenValueShape().Replace(text, "<redacted>");
        var line = new StringBuilder(Math.Min(text.Length, MaxCauseLength));
        foreach (var c in text)
        {
            if (line.Length >= MaxCauseLength) { line.Append('…'); break; }
            line.Append(c switch { '"' => '\'', '\r' or '\n' or '\t' => ' ', _ when char.IsControl(c) => '?', _ => c });
        }
        return line.ToString();
    }

    [GeneratedRegex("[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}")]
    private static partial Regex TokenValueShape();
}
