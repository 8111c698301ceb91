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
    public string UserKey => Keys.Fold(UserId);
}

public static class TokenStatus
{
    public const string Enabled = "ENABLED";
    public const string Disabled = "DISABLED";

    /// <summary>ENABLED or DISABLED in any ASCII case, as the constant; null for anything else.</summary>
    public static string? Parse(string value) =>
        Ascii.EqualsIgnoreCase(value, Enabled) ? Enabled : Ascii.EqualsIgnoreCase(value, Disabled) ? Disabled : null;
}

internal static class Keys
{
    /// <summary>Names and user ids compare case-insensitively (beyond ASCII, which SQLite's NOCASE covers).</summary>
    public static string Fold(string value) => value.ToLowerInvariant();
}
