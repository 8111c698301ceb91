using System.Globalization;
using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>
/// Builds the contract's QueryFilter from cmdlet parameters. A literal name or user id is sent as EQUALS (the service
/// decides equality); a wildcard pattern as the LIKE of <see cref="ApiTokenNames.ToLike"/>, whose results the caller
/// confirms with <see cref="ApiTokenNames.Matches"/>.
/// </summary>
internal static class ApiTokenFilter
{
    public const string Id = "id";
    public const string Name = "name";
    public const string UserId = "userId";
    public const string Status = "status";
    public const string CreatedDate = "createdDate";
    public const string LastUsedDate = "lastUsedDate";
    public const string Token = "token";
    public const string TokenPrefix = "tokenPrefix";

    // The audit log's properties (docs/api.md, The AuditLog object); its userId is the acting user.
    public const string EntryDate = "date";
    public const string Action = "action";
    public const string TokenId = "tokenId";

    /// <summary>An audit action as the service spells it (CREATE, RENAME, ...).</summary>
    public static string ActionArgument(AuditLogAction action) => action.ToString().ToUpperInvariant();

    /// <summary>True when the service may return more than the pattern matches (see <see cref="ApiTokenNames.ToLike"/>).</summary>
    public static bool IsInexact(string pattern) => ApiTokenNames.IsPattern(pattern) && !ApiTokenNames.IsExactAsLike(pattern);

    public static Api.QueryExpression Equal(string property, string value) =>
        Api.QueryExpression.Compare(property, "EQUALS", value);

    /// <summary>EQUALS for a literal, LIKE for a wildcard pattern.</summary>
    public static Api.QueryExpression Text(string property, string pattern) =>
        ApiTokenNames.IsPattern(pattern)
            ? Api.QueryExpression.Compare(property, "LIKE", ApiTokenNames.ToLike(pattern))
            : Equal(property, ApiTokenNames.Literal(pattern));

    /// <summary>A prefix search for completion: what starts with the typed word.</summary>
    public static Api.QueryExpression StartsWith(string property, string word) =>
        Api.QueryExpression.Compare(property, "LIKE", ApiTokenNames.ToLike(word + "*"));

    /// <summary>EQUALS of each literal value, or-ed: the service decides which tokens have them. Null for none.</summary>
    public static Api.QueryExpression? AnyEqual(string property, IEnumerable<string> values)
    {
        Api.QueryExpression[] parts = values.Select(v => Equal(property, v)).ToArray();
        return parts.Length switch
        {
            0 => null,
            1 => parts[0],
            _ => Api.QueryExpression.Or(parts),
        };
    }

    /// <summary>Text() for each pattern, or-ed; null for none.</summary>
    public static Api.QueryExpression? AnyOf(string property, IEnumerable<string>? patterns)
    {
        Api.QueryExpression[] parts = (patterns ?? Enumerable.Empty<string>()).Select(p => Text(property, p)).ToArray();
        return parts.Length switch
        {
            0 => null,
            1 => parts[0],
            _ => Api.QueryExpression.Or(parts),
        };
    }

    /// <summary>The non-null parts and-ed; null when there are none (everything the caller may see).</summary>
    public static Api.QueryExpression? AllOf(params Api.QueryExpression?[] parts)
    {
        Api.QueryExpression[] present = parts.Where(p => p is not null).Select(p => p!).ToArray();
        return present.Length switch
        {
            0 => null,
            1 => present[0],
            _ => Api.QueryExpression.And(present),
        };
    }

    /// <summary>
    /// A date argument: UTC, whole seconds, 'Z'. The service's dates are whole seconds, so a bound is rounded
    /// outwards exactly: down for GREATER_THAN (after), up for LESS_THAN (before).
    /// </summary>
    public static string Date(DateTime value, bool roundUp)
    {
        DateTime utc = value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime();
        long remainder = utc.Ticks % TimeSpan.TicksPerSecond;
        if (remainder != 0)
        {
            utc = utc.AddTicks(-remainder);

            // [datetime]::MaxValue has no later whole second: it stays the last one there is.
            if (roundUp && utc < DateTime.MaxValue.AddSeconds(-1))
            {
                utc = utc.AddSeconds(1);
            }
        }

        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    public static string StatusArgument(ApiTokenStatus status) => status == ApiTokenStatus.Disabled ? "DISABLED" : "ENABLED";
}
