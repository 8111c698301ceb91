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

    public static ApiError InvalidRequest(string message) => new(400, "InvalidRequest", message);
    public static ApiError Unauthorized() => new(401, "Unauthorized", "Authentication failed: check the user name (BOOMI_TOKEN.<user>) and the API token.");
    public static ApiError Forbidden(string message) => new(403, "Forbidden", message);
    public static ApiError NotFound(string message) => new(404, "NotFound", message);
    public static ApiError NameConflict(string name) => new(409, "NameConflict", $"A token named '{name}' already exists for this user.");
    public static ApiError TokenLimitReached(int limit) => new(409, "TokenLimitReached", $"The user already holds the maximum of {limit} tokens. Revoke one before creating another.");
    public static ApiError RateLimited(int retryAfter) => new(503, "RateLimited", "Too many requests for this account. Retry after the time given in Retry-After.") { RetryAfterSeconds = retryAfter };
    public static ApiError Unavailable(int? retryAfter) => new(503, "Unavailable", "The service cannot serve the request now. Retry later.") { RetryAfterSeconds = retryAfter };
    public static ApiError Internal() => new(500, "InternalError", "The service failed to process the request.");

    public static ApiError TokenNotFound(string id) => NotFound($"No API token with id '{Truncate(id)}' exists.");

    /// <summary>Echoing caller input back is fine, but only a bounded amount of it.</summary>
    internal static string Truncate(string value) => value.Length <= 120 ? value : value[..120] + "...";
}
