using System.Text;

namespace TokenManagement.Server;

/// <summary>A stored token: everything but the value, of which only a SHA-256 hash is kept.</summary>
public sealed record TokenRecord(
    string Id,
    string AccountId,
    string UserId,
    string Name,
    string TokenPrefix,
    string Status,
    long CreatedDate,
    long? LastUsedDate);

/// <summary>The authenticated user of a request.</summary>
public sealed record Caller(string AccountId, string UserId, bool IsAdmin, bool HasApiAccess, string TokenId)
{
    /// <summary>The user id as the store compares it (<see cref="Names.Key"/>), computed once.</summary>
    public string UserKey { get; } = Names.Key(UserId);
}

public static class TokenStatus
{
    public const string Enabled = "ENABLED";
    public const string Disabled = "DISABLED";

    /// <summary>ENABLED or DISABLED in any ASCII case, as the constant; null for anything else.</summary>
    public static string? Parse(string value) =>
        Ascii.EqualsIgnoreCase(value, Enabled) ? Enabled : Ascii.EqualsIgnoreCase(value, Disabled) ? Disabled : null;
}
