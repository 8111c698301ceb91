namespace TokenManagement.Client;

/// <summary>What went wrong, in the terms a caller acts on. The cmdlet layer maps each kind to one error id.</summary>
public enum ApiErrorKind
{
    /// <summary>400 InvalidRequest.</summary>
    InvalidRequest,
    /// <summary>401: unknown user, wrong, disabled or revoked token.</summary>
    Unauthorized,
    /// <summary>403: no API Access, another account, or not allowed for the caller's role.</summary>
    Forbidden,
    /// <summary>404: no such token visible to the caller.</summary>
    NotFound,
    /// <summary>409 NameConflict.</summary>
    NameConflict,
    /// <summary>409 TokenLimitReached.</summary>
    TokenLimitReached,
    /// <summary>503 RateLimited / Unavailable after the retry policy gave up, a timeout, or a transport failure.</summary>
    Unavailable,
    /// <summary>500, or any answer the contract does not define.</summary>
    ServerError,
}

/// <summary>A failed API call. The message never contains a token value, a hash or request bodies.</summary>
public sealed class ApiException : Exception
{
    public ApiException(ApiErrorKind kind, string message, int? statusCode = null, string? serverCode = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        StatusCode = statusCode;
        ServerCode = serverCode;
    }

    public ApiErrorKind Kind { get; }

    /// <summary>The HTTP status, or null when no answer came (transport failure, timeout).</summary>
    public int? StatusCode { get; }

    /// <summary>The contract's error <c>code</c> (e.g. <c>NameConflict</c>), when the service sent one.</summary>
    public string? ServerCode { get; }
}
