using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>
/// Builds the contract's QueryFilter from cmdlet parameters. PowerShell wildcards <c>*</c> and <c>?</c> become LIKE
/// <c>%</c> and <c>_</c>; a value without them is sent as EQUALS, so <c>%</c> and <c>_</c> in it stay literal. LIKE
/// cannot escape a literal <c>%</c> or <c>_</c>: a wildcard pattern containing them makes the service match more,
/// and <see cref="Matches"/> narrows the results on this side.
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

    private static readonly char[] s_wildcards = { '*', '?' };
    private static readonly char[] s_likeSpecials = { '%', '_' };

    public static bool HasWildcard(string pattern) => pattern.IndexOfAny(s_wildcards) >= 0;

    /// <summary>True when the service may return more than the pattern matches (see the class remarks).</summary>
    public static bool IsInexact(string pattern) => HasWildcard(pattern) && pattern.IndexOfAny(s_likeSpecials) >= 0;

    public static Api.QueryExpression Equal(string property, string value) =>
        Api.QueryExpression.Compare(property, "EQUALS", value);

    /// <summary>EQUALS for a literal, LIKE for a wildcard pattern.</summary>
    public static Api.QueryExpression Text(string property, string pattern) =>
        HasWildcard(pattern)
            ? Api.QueryExpression.Compare(property, "LIKE", pattern.Replace('*', '%').Replace('?', '_'))
            : Equal(property, pattern);

    /// <summary>A prefix search for completion: LIKE 'word%'.</summary>
    public static Api.QueryExpression StartsWith(string property, string word) =>
        Api.QueryExpression.Compare(property, "LIKE", word.Replace('*', '%').Replace('?', '_') + "%");

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

    /// <summary>Whether a value matches a PowerShell-style pattern (* and ? only), case-insensitively as the service compares.</summary>
    public static bool Matches(string pattern, string? value)
    {
        value ??= "";
        if (!HasWildcard(pattern))
        {
            return string.Equals(pattern, value, StringComparison.OrdinalIgnoreCase);
        }

        var regex = new StringBuilder("^");
        foreach (char c in pattern)
        {
            regex.Append(c switch
            {
                '*' => ".*",
                '?' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }

        regex.Append('$');
        return Regex.IsMatch(value, regex.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
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
            if (roundUp)
            {
                utc = utc.AddSeconds(1);
            }
        }

        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    public static string StatusArgument(ApiTokenStatus status) => status == ApiTokenStatus.Disabled ? "DISABLED" : "ENABLED";
}
