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
