namespace TokenManagement.Client;

/// <summary>An API token as the service describes it. Never holds the token's value.</summary>
public sealed class ApiToken
{
    public string Id { get; set; } = "";
    public string AccountId { get; set; } = "";
    public string UserId { get; set; } = "";
    public string Name { get; set; } = "";
    public string TokenPrefix { get; set; } = "";
    public ApiTokenStatus Status { get; set; }
    public DateTimeOffset CreatedDate { get; set; }
    public DateTimeOffset? LastUsedDate { get; set; }
}

public enum ApiTokenStatus
{
    Enabled,
    Disabled,
}

/// <summary>The result of a create: the token and its value, which the service never shows again.</summary>
public sealed class CreatedApiToken
{
    public CreatedApiToken(ApiToken token, System.Security.SecureString value)
    {
        Token = token;
        Value = value;
    }

    public ApiToken Token { get; }

    /// <summary>The token's value, read-only. The caller owns it.</summary>
    public System.Security.SecureString Value { get; }
}

public sealed class AccountInfo
{
    public string AccountId { get; set; } = "";
    public string Name { get; set; } = "";
    public string Status { get; set; } = "";

    /// <summary>The caller's privileges (callerPrivileges, e.g. API_ACCESS, ACCOUNT_ADMINISTRATION); null when the service does not say.</summary>
    public IReadOnlyList<string>? CallerPrivileges { get; set; }

    /// <summary>Whether the caller has Account Administration (sees every user's tokens); null when the service does not say.</summary>
    public bool? IsAdministrator => CallerPrivileges?.Contains(AccountAdministrationPrivilege, StringComparer.Ordinal);

    public const string AccountAdministrationPrivilege = "ACCOUNT_ADMINISTRATION";
}

/// <summary>One page of a query: at most 100 tokens, and the total number of matches.</summary>
public sealed class QueryPage
{
    public QueryPage(IReadOnlyList<ApiToken> tokens, long numberOfResults, string? queryToken)
    {
        Tokens = tokens;
        NumberOfResults = numberOfResults;
        QueryToken = queryToken;
    }

    public IReadOnlyList<ApiToken> Tokens { get; }
    public long NumberOfResults { get; }

    /// <summary>Present only when more results follow.</summary>
    public string? QueryToken { get; }
}

/// <summary>One entry of the audit log (docs/api.md, The AuditLog object): an action on a token. Never holds a value.</summary>
public sealed class AuditLogEntry
{
    public string Id { get; set; } = "";
    public string AccountId { get; set; } = "";
    public DateTimeOffset Date { get; set; }

    /// <summary>The acting user.</summary>
    public string UserId { get; set; } = "";

    /// <summary>The token's owner.</summary>
    public string OwnerUserId { get; set; } = "";
    public AuditAction Action { get; set; }
    public string TokenId { get; set; } = "";

    /// <summary>The token's name when the action was taken.</summary>
    public string TokenName { get; set; } = "";

    /// <summary>Only for <see cref="AuditAction.Rename"/>: the name asked for.</summary>
    public string? NewTokenName { get; set; }
    public string TokenPrefix { get; set; } = "";
    public AuditLevel Level { get; set; }

    /// <summary>Where the action came from: <c>API</c>.</summary>
    public string Source { get; set; } = "";
    public AuditOutcome Outcome { get; set; }
}

/// <summary>The audit log's <c>action</c> values, in the order of docs/api.md.</summary>
public enum AuditAction
{
    Create,
    Rename,
    Disable,
    Enable,
    Revoke,
}

/// <summary><c>USER</c>: the owner acted; <c>ADMINISTRATOR</c>: an administrator acted on another user's token.</summary>
public enum AuditLevel
{
    User,
    Administrator,
}

public enum AuditOutcome
{
    Success,
    Forbidden,
    NameConflict,
}

/// <summary>One page of an audit log query: at most 100 entries, and the total number of matches.</summary>
public sealed class AuditLogPage
{
    public AuditLogPage(IReadOnlyList<AuditLogEntry> entries, long numberOfResults, string? queryToken)
    {
        Entries = entries;
        NumberOfResults = numberOfResults;
        QueryToken = queryToken;
    }

    public IReadOnlyList<AuditLogEntry> Entries { get; }
    public long NumberOfResults { get; }

    /// <summary>Present only when more results follow.</summary>
    public string? QueryToken { get; }
}

/// <summary>One item of a bulk read: the token, or the error the service gave for that id.</summary>
public sealed class BulkItem
{
    public BulkItem(int index, string id, int statusCode, ApiToken? token, string? errorMessage)
    {
        Index = index;
        Id = id;
        StatusCode = statusCode;
        Token = token;
        ErrorMessage = errorMessage;
    }

    public int Index { get; }
    public string Id { get; }
    public int StatusCode { get; }
    public ApiToken? Token { get; }
    public string? ErrorMessage { get; }
}
