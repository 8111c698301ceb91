using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using TokenManagement.Infrastructure;
using Api = TokenManagement.Client;

namespace TokenManagement.Completion;

/// <summary>
/// What the argument completers share: the connection the command line names, the typed word, one bounded query,
/// and how a value is written back. Tab completion must keep the prompt responsive: everything a completion asks
/// of the service ends by <see cref="Deadline"/> (cancelled, returning what has arrived), and nothing throws.
/// </summary>
internal static class CompletionQuery
{
    /// <summary>For the whole completion: long enough for a few pages on a normal link, short enough not to be felt as a hang.</summary>
    internal static readonly TimeSpan DefaultDeadline = TimeSpan.FromMilliseconds(1500);

    /// <summary>
    /// How long a completion waits for the service. Settable (tests only): whether a local query beats 1.5 s is the
    /// machine's speed, so a test that expects completions chooses a longer one. Read once by each fetch.
    /// </summary>
    internal static TimeSpan Deadline { get; set; } = DefaultDeadline;

    /// <summary>Pages read at most (100 tokens each): enough to list what a person can choose from.</summary>
    private const int MaxPages = 5;

    private static readonly Regex s_bareWord = new(@"^[\p{L}\p{Nd}_.][\p{L}\p{Nd}_.@\-]*$", RegexOptions.CultureInvariant);

    /// <summary>
    /// -Connection as written on the command line, or the runspace's default. Null when there is none, when it is
    /// closed, or when the line's -Connection is not a connection PowerShell could evaluate (then completing through
    /// another identity would mislead).
    /// </summary>
    public static AtomSphereConnection? ConnectionOf(IDictionary? fakeBoundParameters)
    {
        if (TryGetBound(fakeBoundParameters, "Connection", out object? value))
        {
            return (value is PSObject wrapped ? wrapped.BaseObject : value) is AtomSphereConnection { State: AtomSphereConnectionState.Open } connection
                ? connection
                : null;
        }

        return ConnectionRegistry.Current.Default;
    }

    /// <summary>A switch given on the line (-AllUsers, -AllUsers:$true).</summary>
    public static bool IsSwitchSet(IDictionary? fakeBoundParameters, string name) =>
        TryGetBound(fakeBoundParameters, name, out object? value) && (value is null || LanguagePrimitives.IsTrue(value));

    /// <summary>The string values given on the line for a parameter (none when absent).</summary>
    public static string[] Strings(IDictionary? fakeBoundParameters, string name)
    {
        if (!TryGetBound(fakeBoundParameters, name, out object? value) || value is null)
        {
            return Array.Empty<string>();
        }

        value = value is PSObject wrapped ? wrapped.BaseObject : value;
        IEnumerable items = value is string or not IEnumerable ? new[] { value } : (IEnumerable)value;
        return items.Cast<object?>()
            .Select(v => (v is PSObject p ? p.BaseObject : v)?.ToString())
            .Where(v => !string.IsNullOrEmpty(v))
            .Select(v => v!)
            .ToArray();
    }

    private static bool TryGetBound(IDictionary? fakeBoundParameters, string name, out object? value)
    {
        if (fakeBoundParameters is not null)
        {
            foreach (DictionaryEntry entry in fakeBoundParameters)
            {
                if (string.Equals(entry.Key as string, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = entry.Value;
                    return true;
                }
            }
        }

        value = null;
        return false;
    }

    /// <summary>The word being completed without its opening (and closing) quote, and that quote.</summary>
    public static (string Word, char? Quote) Unquote(string? wordToComplete)
    {
        string word = wordToComplete ?? "";
        if (word.Length == 0 || !IsQuote(word[0]))
        {
            return (word, null);
        }

        char quote = word[0];
        word = word.Substring(1);
        if (word.Length > 0 && IsQuote(word[word.Length - 1]))
        {
            word = word.Substring(0, word.Length - 1);
        }

        bool single = quote is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B';
        return (single ? word.Replace("''", "'") : word, quote);
    }

    private static bool IsQuote(char c) => c is '\'' or '"' || c is >= '\u2018' and <= '\u201E';

    /// <summary>A value as the command line needs it: bare when it is a plain word (and no quote was typed), else single-quoted.</summary>
    public static string Quote(string value, char? typedQuote) =>
        typedQuote is null && s_bareWord.IsMatch(value) ? value : "'" + CodeGeneration.EscapeSingleQuotedStringContent(value) + "'";

    /// <summary>
    /// The tokens matching the filter that arrive within <see cref="Deadline"/>, page after page (at most
    /// <see cref="MaxPages"/>); whatever has arrived when the deadline passes or the service fails (often nothing).
    /// <paramref name="complete"/> says whether that is every match.
    /// </summary>
    public static IReadOnlyList<Api.ApiToken> Fetch(AtomSphereConnection connection, Api.QueryExpression? filter, out bool complete)
    {
        var arrived = new List<Api.ApiToken>();
        TimeSpan deadline = Deadline;
        var cancellation = new CancellationTokenSource(deadline);
        CancellationToken token = cancellation.Token;
        Api.AtomSphereClient client = connection.Session.Client;
        bool all = false;
        Task work = Task.Run(
            async () =>
            {
                int pages = 0;
                for (Api.QueryPage? page = await client.QueryAsync(filter, token).ConfigureAwait(false); page is not null;)
                {
                    lock (arrived)
                    {
                        arrived.AddRange(page.Tokens);
                    }

                    if (page.QueryToken is null)
                    {
                        Volatile.Write(ref all, true);
                        break;
                    }

                    page = ++pages < MaxPages ? await client.NextPageAsync(page, token).ConfigureAwait(false) : null;
                }
            },
            token);

        bool ended;
        try
        {
            // A completer is synchronous: wait, but never past the deadline.
            ended = work.Wait(deadline);
        }
        catch (AggregateException)
        {
            ended = true; // failed (unreachable, refused, cancelled): what arrived is all there is
        }

        if (ended)
        {
            cancellation.Dispose();
        }
        else
        {
            cancellation.Cancel();

            // Abandoned: observe its end, and only then free the token source it may still be using.
            work.ContinueWith(
                static (t, state) =>
                {
                    _ = t.Exception;
                    ((CancellationTokenSource)state!).Dispose();
                },
                cancellation,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        complete = ended && Volatile.Read(ref all);
        lock (arrived)
        {
            return arrived.ToArray();
        }
    }

    /// <summary>Runs a completion; any failure (a bug, an odd line) is no completion rather than an error at the prompt.</summary>
    public static IEnumerable<CompletionResult> Safely(Func<IEnumerable<CompletionResult>> complete)
    {
        try
        {
            return complete().ToArray();
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    /// <summary>One line about a token for a tooltip: name — user — status, prefix, creation date.</summary>
    public static string Describe(Api.ApiToken token) =>
        $"{token.Name} \u2014 {token.UserId} \u2014 {ApiTokenMapper.ToPublic(token.Status)}, {token.TokenPrefix}\u2026, created {token.CreatedDate.UtcDateTime:yyyy-MM-dd}";

    /// <summary>A few user ids and how many more: "a, b, c and 17 more".</summary>
    public static string Some(IReadOnlyList<string> users, bool complete)
    {
        const int Shown = 3;
        string shown = string.Join(", ", users.Take(Shown));
        return users.Count > Shown ? $"{shown} and {users.Count - Shown}{(complete ? "" : "+")} more" : shown;
    }
}
