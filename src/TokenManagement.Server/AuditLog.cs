namespace TokenManagement.Server;

/// <summary>The audit log's enumerations (docs/api.md, The AuditLog object), in the platform's UPPER_CASE style.</summary>
public static class AuditValues
{
    public const string Create = "CREATE";
    public const string Rename = "RENAME";
    public const string Disable = "DISABLE";
    public const string Enable = "ENABLE";
    public const string Revoke = "REVOKE";

    public const string User = "USER";
    public const string Administrator = "ADMINISTRATOR";

    public const string Api = "API";

    public const string Success = "SUCCESS";
    public const string Forbidden = "FORBIDDEN";
    public const string NameConflict = "NAME_CONFLICT";

    public static readonly IReadOnlyList<string> Actions = [Create, Rename, Disable, Enable, Revoke];
    public static readonly IReadOnlyList<string> Levels = [User, Administrator];
    public static readonly IReadOnlyList<string> Outcomes = [Success, Forbidden, NameConflict];

    /// <summary>USER when the actor acts on their own token, ADMINISTRATOR on another user's.</summary>
    public static string Level(string actorKey, string ownerKey) => actorKey == ownerKey ? User : Administrator;

    /// <summary>The outcome an action's refusal is recorded with; null for refusals that are not recorded.</summary>
    public static string? OutcomeOf(ApiError error) => error.Code switch
    {
        "Forbidden" => Forbidden,
        "NameConflict" => NameConflict,
        _ => null,
    };
}

/// <summary>
/// One audit entry: who did what to which token, and how it ended. Holds the token's id, name and prefix, never its
/// value or hash. Entries are only ever appended (the table's triggers refuse UPDATE and DELETE).
/// </summary>
public sealed record AuditEntry(
    string Id,
    string AccountId,
    long Date,
    string UserId,
    string OwnerUserId,
    string Action,
    string TokenId,
    string TokenName,
    string? NewTokenName,
    string TokenPrefix,
    string Level,
    string Source,
    string Outcome);
