using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TokenManagement.Server;

/// <summary>The contract's JSON shapes, written exactly as docs/api.md shows them.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static string Date(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static ApiTokenDto ToDto(TokenRecord token, string? value = null) => new()
    {
        Id = token.Id,
        AccountId = token.AccountId,
        UserId = token.UserId,
        Name = token.Name,
        TokenPrefix = token.TokenPrefix,
        Status = token.Status,
        CreatedDate = Date(token.CreatedDate),
        LastUsedDate = token.LastUsedDate is { } used ? Date(used) : null,
        Token = value,
    };

    public static AuditLogDto ToDto(AuditEntry entry) => new()
    {
        Id = entry.Id,
        AccountId = entry.AccountId,
        Date = Date(entry.Date),
        UserId = entry.UserId,
        OwnerUserId = entry.OwnerUserId,
        Action = entry.Action,
        TokenId = entry.TokenId,
        TokenName = entry.TokenName,
        NewTokenName = entry.NewTokenName,
        TokenPrefix = entry.TokenPrefix,
        Level = entry.Level,
        Source = entry.Source,
        Outcome = entry.Outcome,
    };
}

internal sealed class ApiTokenDto
{
    [JsonPropertyName("@type")] public string Type { get; init; } = "ApiToken";
    public string Id { get; init; } = "";
    public string AccountId { get; init; } = "";
    public string UserId { get; init; } = "";
    public string Name { get; init; } = "";
    public string TokenPrefix { get; init; } = "";
    public string Status { get; init; } = "";
    public string CreatedDate { get; init; } = "";
    public string? LastUsedDate { get; init; }

    /// <summary>Only in the answer to a create: the one time the value is ever returned.</summary>
    public string? Token { get; init; }
}

internal sealed class QueryResultDto<T>
{
    [JsonPropertyName("@type")] public string Type { get; init; } = "QueryResult";
    public long NumberOfResults { get; init; }
    public string? QueryToken { get; init; }
    public IReadOnlyList<T> Result { get; init; } = [];
}

/// <summary>An audit entry as docs/api.md shows it: never a token value or hash.</summary>
internal sealed class AuditLogDto
{
    [JsonPropertyName("@type")] public string Type { get; init; } = "AuditLog";
    public string Id { get; init; } = "";
    public string AccountId { get; init; } = "";
    public string Date { get; init; } = "";
    public string UserId { get; init; } = "";
    public string OwnerUserId { get; init; } = "";
    public string Action { get; init; } = "";
    public string TokenId { get; init; } = "";
    public string TokenName { get; init; } = "";

    /// <summary>Only on RENAME: the name asked for.</summary>
    public string? NewTokenName { get; init; }
    public string TokenPrefix { get; init; } = "";
    public string Level { get; init; } = "";
    public string Source { get; init; } = "";
    public string Outcome { get; init; } = "";
}

internal sealed class BulkResultDto
{
    [JsonPropertyName("@type")] public string Type { get; init; } = "BulkResult";
    public IReadOnlyList<BulkItemDto> Response { get; init; } = [];
}

internal sealed class BulkItemDto
{
    public int Index { get; init; }
    public string Id { get; init; } = "";
    public int StatusCode { get; init; }
    [JsonPropertyName("Result")] public ApiTokenDto? Result { get; init; }
    public string? ErrorMessage { get; init; }
}

internal sealed class AccountDto
{
    [JsonPropertyName("@type")] public string Type { get; init; } = "Account";
    public string AccountId { get; init; } = "";
    public string Name { get; init; } = "";
    public string Status { get; init; } = "active";

    /// <summary>The caller's privileges that decide what this API lets them see and do (docs/api.md, Who sees what).</summary>
    public IReadOnlyList<string> CallerPrivileges { get; init; } = [];
}

internal sealed class ErrorDto
{
    [JsonPropertyName("@type")] public string Type { get; init; } = "Error";
    public string Code { get; init; } = "";
    public string Message { get; init; } = "";

    /// <summary>Only on a 500: the reference under which the service's log holds the cause.</summary>
    public string? RequestId { get; init; }
}
