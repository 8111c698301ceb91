using System.Collections;
using System.Management.Automation;
using TokenManagement.Infrastructure;
using Api = TokenManagement.Client;

namespace TokenManagement.Completion;

/// <summary>The completions of names, user ids and ids: one bounded query each, matched by the module's name rules (ApiTokenNames).</summary>
internal static class NameCompletion
{
    public static IEnumerable<CompletionResult> Complete(string? wordToComplete, IDictionary? bound, bool wildcards)
    {
        if (CompletionQuery.ConnectionOf(bound) is not { } connection)
        {
            return Array.Empty<CompletionResult>();
        }

        (string word, char? quote) = CompletionQuery.Unquote(wordToComplete);

        // What was typed is the start of a value: a pattern's start where -Name takes wildcards, else literal text.
        string pattern = (wildcards ? word : WildcardPattern.Escape(word)) + "*";
        Api.QueryExpression? filter = ApiTokenFilter.AllOf(
            UserScope(connection, bound),
            word.Length == 0 ? null : ApiTokenFilter.Text(ApiTokenFilter.Name, pattern));
        IReadOnlyList<Api.ApiToken> tokens = CompletionQuery.Fetch(connection, filter, out bool complete);

        return tokens
            .Where(t => ApiTokenNames.Matches(pattern, t.Name))
            .GroupBy(t => t.Name, ApiTokenNames.Comparer)
            .OrderBy(g => g.Key, ApiTokenNames.Comparer)
            .Select(g =>
            {
                Api.ApiToken first = g.First();
                string[] users = g.Select(t => t.UserId).Distinct(ApiTokenNames.Comparer).ToArray();
                string toolTip = users.Length == 1
                    ? CompletionQuery.Describe(first)
                    : $"{first.Name} \u2014 {users.Length}{(complete ? "" : "+")} users: {CompletionQuery.Some(users, complete)}";
                return new CompletionResult(
                    CompletionQuery.Quote(wildcards ? WildcardPattern.Escape(first.Name) : first.Name, quote),
                    first.Name,
                    CompletionResultType.ParameterValue,
                    toolTip);
            });
    }

    public static IEnumerable<CompletionResult> CompleteUserIds(string? wordToComplete, IDictionary? bound)
    {
        if (CompletionQuery.ConnectionOf(bound) is not { } connection)
        {
            return Array.Empty<CompletionResult>();
        }

        (string word, char? quote) = CompletionQuery.Unquote(wordToComplete);
        string pattern = word + "*";
        IReadOnlyList<Api.ApiToken> tokens = CompletionQuery.Fetch(
            connection, word.Length == 0 ? null : ApiTokenFilter.Text(ApiTokenFilter.UserId, pattern), out bool complete);

        return tokens
            .Where(t => ApiTokenNames.Matches(pattern, t.UserId))
            .GroupBy(t => t.UserId, ApiTokenNames.Comparer)
            .OrderBy(g => g.Key, ApiTokenNames.Comparer)
            .Select(g =>
            {
                int count = g.Count();
                string user = g.First().UserId;
                return new CompletionResult(
                    CompletionQuery.Quote(WildcardPattern.Escape(user), quote),
                    user,
                    CompletionResultType.ParameterValue,
                    $"{user} \u2014 {count}{(complete ? "" : "+")} token{(count == 1 ? "" : "s")}");
            });
    }

    public static IEnumerable<CompletionResult> CompleteIds(string? wordToComplete, IDictionary? bound)
    {
        if (CompletionQuery.ConnectionOf(bound) is not { } connection)
        {
            return Array.Empty<CompletionResult>();
        }

        (string word, char? quote) = CompletionQuery.Unquote(wordToComplete);

        // Ids compare exactly (case-sensitive, also in LIKE): what was typed is their literal start.
        string pattern = WildcardPattern.Escape(word) + "*";
        IReadOnlyList<Api.ApiToken> tokens = CompletionQuery.Fetch(
            connection, word.Length == 0 ? null : ApiTokenFilter.Text(ApiTokenFilter.Id, pattern), out _);

        return tokens
            .Where(t => t.Id.StartsWith(word, StringComparison.Ordinal))
            .GroupBy(t => t.Id, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(t => t.Name, ApiTokenNames.Comparer)
            .ThenBy(t => t.UserId, ApiTokenNames.Comparer)
            .Select(t => new CompletionResult(
                CompletionQuery.Quote(t.Id, quote),
                $"{t.Id} ({t.Name}, {t.UserId})",
                CompletionResultType.ParameterValue,
                CompletionQuery.Describe(t)));
    }

    /// <summary>Whose names: the -UserId users', everyone's with -AllUsers, else the caller's own (as the command would list them).</summary>
    private static Api.QueryExpression? UserScope(AtomSphereConnection connection, IDictionary? bound)
    {
        string[] users = CompletionQuery.Strings(bound, "UserId");
        if (users.Length > 0)
        {
            return ApiTokenFilter.AnyOf(ApiTokenFilter.UserId, users);
        }

        return CompletionQuery.IsSwitchSet(bound, "AllUsers") ? null : ApiTokenFilter.Equal(ApiTokenFilter.UserId, connection.UserId);
    }
}
