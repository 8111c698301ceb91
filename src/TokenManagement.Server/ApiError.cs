using System.Globalization;
using System.Text;

namespace TokenManagement.Server;

/// <summary>An answer of the contract's error table. Messages never hold a token value, a hash or internals.</summary>
public sealed class ApiError : Exception
{
    private ApiError(int status, string code, string message) : base(message)
    {
        Status = status;
        Code = code;
    }

    public int Status { get; }
    public string Code { get; }
    public int? RetryAfterSeconds { get; private init; }

    /// <summary>Only on a 500: the id under which the log holds the cause, for the user to report.</summary>
    public string? RequestId { get; private init; }

    /// <summary>The HTTP methods the resource does answer (a 405's Allow header).</summary>
    public string? Allow { get; private init; }

    public static ApiError InvalidRequest(string message) => new(400, "InvalidRequest", message);
    public static ApiError MethodNotAllowed(string method, string allow) =>
        new(405, "MethodNotAllowed", $"The method {ApiError.Echo(method)} is not allowed here; this resource answers {allow}.") { Allow = allow };
    public static ApiError Unauthorized() => new(401, "Unauthorized", "Authentication failed: check the user name (BOOMI_TOKEN.<user>) and the API token.");
    public static ApiError Forbidden(string message) => new(403, "Forbidden", message);
    public static ApiError NotFound(string message) => new(404, "NotFound", message);
    public static ApiError NameConflict(string name) => new(409, "NameConflict", $"A token named '{Echo(name)}' already exists for this user.");
    public static ApiError TokenLimitReached(int limit) => new(409, "TokenLimitReached", $"The user already holds the maximum of {limit} tokens. Revoke one before creating another.");
    public static ApiError RateLimited(int retryAfter) => new(503, "RateLimited", "Too many requests for this account. Retry after the time given in Retry-After.") { RetryAfterSeconds = retryAfter };
    public static ApiError Unavailable(int? retryAfter) => new(503, "Unavailable", "The service cannot serve the request now. Retry later.") { RetryAfterSeconds = retryAfter };

    public static ApiError Internal(string requestId) =>
        new(500, "InternalError", $"The service failed to process the request. Reference: {requestId}.") { RequestId = requestId };

    public static ApiError TokenNotFound(string id) => NotFound($"No API token with id '{Echo(id)}' exists.");

    /// <summary>The most characters of caller input a message repeats.</summary>
    public const int MaxEcho = 100;

    /// <summary>
    /// Caller input as a message may repeat it: at most <see cref="MaxEcho"/> characters (never half a surrogate pair),
    /// and characters that do not show (controls, format and bidirectional controls, separators) written as \uXXXX so
    /// that a message cannot display as something else.
    /// </summary>
    public static string Echo(string value)
    {
        var shown = new StringBuilder(Math.Min(value.Length, MaxEcho + 8));
        for (var i = 0; i < value.Length;)
        {
            if (i >= MaxEcho) { return shown.Append('…').ToString(); }
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                // A lone surrogate (text that did not come through the strict decoder, e.g. a command line).
                shown.Append(CultureInfo.InvariantCulture, $"\\u{(int)value[i]:X4}");
                i++;
                continue;
            }
            if (IsShown(rune)) { shown.Append(value, i, consumed); }
            else { shown.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:X4}"); }
            i += consumed;
        }
        return shown.ToString();
    }

    private static bool IsShown(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned => false,
        _ => true,
    };
}
