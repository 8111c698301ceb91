using System.Management.Automation;
using System.Text;

namespace TokenManagement.Infrastructure;

/// <summary>
/// The one place that states how the module treats token names (and user ids, which the service compares the same
/// way). The service decides equality: it compares names after lowercasing each character with the invariant culture
/// (docs/api.md). The module never compares a literal itself: it sends it as EQUALS. A wildcard pattern (PowerShell's
/// <see cref="WildcardPattern"/>: * ? [a-z] and ` escapes) is narrowed by the service with a LIKE that matches at
/// least as much, and confirmed here by the same fold.
/// </summary>
internal static class ApiTokenNames
{
    public const int MaxLength = 100;

    /// <summary>Null when the name is valid, otherwise what is wrong with it (the contract's rule: 1 to 100 characters, no control characters).</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "A token name cannot be empty.";
        }

        if (name!.Length > MaxLength)
        {
            return $"A token name has at most {MaxLength} characters; this one has {name.Length}.";
        }

        foreach (char c in name)
        {
            if (char.IsControl(c))
            {
                return "A token name cannot contain control characters (tabs, line breaks, ...).";
            }
        }

        return null;
    }

    /// <summary>The service's comparison key (docs/api.md: names and user ids compare case-insensitively).</summary>
    public static string Fold(string? value) => (value ?? "").ToLowerInvariant();

    /// <summary>Whether two names are the same name to the service.</summary>
    public static bool AreEqual(string? a, string? b) => string.Equals(Fold(a), Fold(b), StringComparison.Ordinal);

    /// <summary>The comparer of <see cref="AreEqual"/>, for sets of names.</summary>
    public static StringComparer Comparer { get; } = new FoldComparer();

    public static bool IsPattern(string value) => WildcardPattern.ContainsWildcardCharacters(value);

    /// <summary>A value as the literal it stands for: a pattern's escapes removed (x`[1`] is the name x[1]).</summary>
    public static string Literal(string value) => WildcardPattern.Unescape(value);

    /// <summary>Whether a name (or user id) matches a -Name value: a pattern, or a literal by the service's fold.</summary>
    public static bool Matches(string patternOrLiteral, string? value) =>
        IsPattern(patternOrLiteral)
            ? new WildcardPattern(Fold(patternOrLiteral), WildcardOptions.None).IsMatch(Fold(value))
            : AreEqual(Literal(patternOrLiteral), value);

    /// <summary>
    /// A LIKE argument that matches every name the pattern matches (and possibly more): * is %, ? and [..] are _, and
    /// a literal % or _ (which LIKE cannot escape) is _.
    /// </summary>
    public static string ToLike(string pattern) => Like(pattern, out _);

    /// <summary>Whether <see cref="ToLike"/> matches exactly what the pattern matches (no [..], %, _).</summary>
    public static bool IsExactAsLike(string pattern)
    {
        Like(pattern, out bool exact);
        return exact;
    }

    private static string Like(string pattern, out bool exact)
    {
        exact = true;
        var like = new StringBuilder(pattern.Length);
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '`' when i + 1 < pattern.Length:
                    char escaped = pattern[++i];
                    exact &= escaped is not ('%' or '_');
                    like.Append(escaped is '%' or '_' ? '_' : escaped);
                    break;
                case '*':
                    like.Append('%');
                    break;
                case '?':
                    like.Append('_');
                    break;
                case '[':
                    int close = pattern.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        goto default;
                    }

                    exact = false;
                    like.Append('_');
                    i = close;
                    break;
                case '%' or '_':
                    exact = false;
                    like.Append('_');
                    break;
                default:
                    like.Append(c);
                    break;
            }
        }

        return like.ToString();
    }

    private sealed class FoldComparer : StringComparer
    {
        public override int Compare(string? x, string? y) => string.CompareOrdinal(Fold(x), Fold(y));

        public override bool Equals(string? x, string? y) => AreEqual(x, y);

        public override int GetHashCode(string obj) => StringComparer.Ordinal.GetHashCode(Fold(obj));
    }
}
