using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using TokenManagement.Infrastructure;
using Api = TokenManagement.Client;

namespace TokenManagement;

/// <summary>
/// Completes -Name with the names of the caller's own tokens on the default connection. Tab completion must stay
/// responsive: it gives up after about 2 seconds and never throws (no connection, a failing or slow service: no
/// completions).
/// </summary>
public sealed class ApiTokenNameCompleter : IArgumentCompleter
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(2);
    private static readonly Regex s_bareWord = new(@"^[\p{L}\p{Nd}_.][\p{L}\p{Nd}_.\-]*$", RegexOptions.CultureInvariant);

    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters)
    {
        try
        {
            return Complete(wordToComplete ?? "");
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    private static IEnumerable<CompletionResult> Complete(string wordToComplete)
    {
        AtomSphereConnection? connection = ConnectionRegistry.Current.Default;
        if (connection is null)
        {
            return Array.Empty<CompletionResult>();
        }

        char? quote = wordToComplete.Length > 0 && IsQuote(wordToComplete[0]) ? wordToComplete[0] : null;
        string word = wordToComplete.Trim('\'', '"', '\u2018', '\u2019', '\u201A', '\u201B', '\u201C', '\u201D', '\u201E');

        IReadOnlyList<Api.ApiToken>? tokens = FetchWithin(connection.Session, word, s_budget);
        if (tokens is null)
        {
            return Array.Empty<CompletionResult>();
        }

        string pattern = word + "*";
        return tokens
            .Where(t => ApiTokenNames.Matches(pattern, t.Name))
            .OrderBy(t => t.Name, ApiTokenNames.Comparer)
            .Select(t => new CompletionResult(
                Quote(t.Name, quote),
                t.Name,
                CompletionResultType.ParameterValue,
                $"{t.Name} ({t.Status}, {t.TokenPrefix}..., created {t.CreatedDate.UtcDateTime:yyyy-MM-dd})"))
            .ToArray();
    }

    /// <summary>The first page of the caller's tokens whose names start with the word, or null after the budget.</summary>
    private static IReadOnlyList<Api.ApiToken>? FetchWithin(ConnectionSession session, string word, TimeSpan budget)
    {
        var cancellation = new CancellationTokenSource(budget);
        Api.QueryExpression? filter = ApiTokenFilter.AllOf(
            ApiTokenFilter.Equal(ApiTokenFilter.UserId, session.UserId),
            word.Length == 0 ? null : ApiTokenFilter.StartsWith(ApiTokenFilter.Name, word));
        CancellationToken token = cancellation.Token;
        Task<Api.QueryPage> query = Task.Run(() => session.Client.QueryAsync(filter, token), token);

        // A completer is synchronous: wait, but never longer than the budget.
        if (!query.Wait(budget))
        {
            cancellation.Cancel();
            // Abandoned: observe its end (and only then free the token source it may still be using).
            query.ContinueWith(
                static (t, state) =>
                {
                    _ = t.Exception;
                    ((CancellationTokenSource)state!).Dispose();
                },
                cancellation,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return null;
        }

        cancellation.Dispose();
        return query.GetAwaiter().GetResult().Tokens;
    }

    private static bool IsQuote(char c) => c is '\'' or '"' || c is >= '\u2018' and <= '\u201E';

    private static string Quote(string name, char? quote)
    {
        if (quote is null && s_bareWord.IsMatch(name))
        {
            return name;
        }

        return "'" + CodeGeneration.EscapeSingleQuotedStringContent(name) + "'";
    }
}
