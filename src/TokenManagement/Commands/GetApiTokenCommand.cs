using System.Management.Automation;
using System.Security;
using TokenManagement.Infrastructure;
using Api = TokenManagement.Client;

namespace TokenManagement.Commands;

[Cmdlet(VerbsCommon.Get, "ApiToken", SupportsPaging = true)]
[OutputType(typeof(ApiToken))]
public sealed class GetApiTokenCommand : ApiTokenCommandBase
{
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ApiTokenNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Id { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? UserId { get; set; }

    /// <summary>Every user's tokens (needs Account Administration).</summary>
    [Parameter]
    public SwitchParameter AllUsers { get; set; }

    [Parameter]
    public ApiTokenStatus? Status { get; set; }

    [Parameter]
    public DateTime? CreatedAfter { get; set; }

    [Parameter]
    public DateTime? CreatedBefore { get; set; }

    /// <summary>Tokens last used before this date, and tokens never used.</summary>
    [Parameter]
    public DateTime? NotUsedSince { get; set; }

    /// <summary>The token that has this value (e.g. a leaked one).</summary>
    [Parameter]
    [ValidateNotNull]
    public SecureString? Token { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        ulong skip = PagingParameters.Skip;
        ulong first = PagingParameters.First;
        bool includeTotal = PagingParameters.IncludeTotalCount.IsPresent;
        if (first == 0 && !includeTotal)
        {
            return;
        }

        string[] names = Name ?? Array.Empty<string>();
        string[] users = UserId ?? Array.Empty<string>();
        // Literal -Name/-Id values that match nothing are errors; wildcards that match nothing are not.
        var unmatchedNames = new List<string>(names.Where(n => !ApiTokenFilter.HasWildcard(n)).Distinct(StringComparer.OrdinalIgnoreCase));
        var unmatchedIds = new List<string>((Id ?? Array.Empty<string>()).Distinct(StringComparer.Ordinal));
        bool inexact = names.Concat(users).Any(ApiTokenFilter.IsInexact);

        Api.QueryExpression? filter = BuildFilter();
        ulong skipped = 0;
        ulong written = 0;
        long received = 0;
        bool complete = true;
        bool firstPage = true;
        try
        {
            for (Api.QueryPage? page = await Client.QueryAsync(filter, cancellationToken).ConfigureAwait(false); page is not null; page = await Client.NextPageAsync(page, cancellationToken).ConfigureAwait(false))
            {
                if (firstPage && includeTotal)
                {
                    await WriteObjectAsync(PagingParameters.NewTotalCount((ulong)Math.Max(0, page.NumberOfResults), inexact ? 0.5 : 1.0)).ConfigureAwait(false);
                }

                firstPage = false;
                received += page.Tokens.Count;
                ReportProgress(received, page.NumberOfResults, completed: page.QueryToken is null);
                foreach (Api.ApiToken token in page.Tokens)
                {
                    if (!MatchesLocally(token, names, users))
                    {
                        continue;
                    }

                    unmatchedNames.RemoveAll(n => string.Equals(n, token.Name, StringComparison.OrdinalIgnoreCase));
                    unmatchedIds.Remove(token.Id);
                    if (skipped < skip)
                    {
                        skipped++;
                        continue;
                    }

                    if (written < first)
                    {
                        await WriteObjectAsync(ApiTokenMapper.ToPublic(token)).ConfigureAwait(false);
                        written++;
                    }
                }

                if (written >= first && page.QueryToken is not null)
                {
                    // -First is satisfied: no further page is requested, so unmatched literals are not known.
                    complete = false;
                    break;
                }
            }
        }
        catch (Api.ApiException exception)
        {
            await WriteErrorAsync(ApiErrors.FromApi(exception, null, "Could not list API tokens")).ConfigureAwait(false);
            return;
        }
        finally
        {
            ReportProgress(received, received, completed: true);
        }

        if (!complete)
        {
            return;
        }

        // With other filters (or both -Name and -Id), a literal may exist and only be filtered out: that is no error.
        bool narrowed = Status.HasValue || CreatedAfter.HasValue || CreatedBefore.HasValue || NotUsedSince.HasValue || Token is not null;
        try
        {
            if (unmatchedNames.Count > 0 && (narrowed || Id is { Length: > 0 }))
            {
                HashSet<string> existing = await FindExistingAsync(ApiTokenFilter.Name, unmatchedNames, t => t.Name, StringComparer.OrdinalIgnoreCase, cancellationToken).ConfigureAwait(false);
                unmatchedNames.RemoveAll(existing.Contains);
            }

            if (unmatchedIds.Count > 0 && (narrowed || Name is { Length: > 0 }))
            {
                HashSet<string> existing = await FindExistingAsync(ApiTokenFilter.Id, unmatchedIds, t => t.Id, StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);
                unmatchedIds.RemoveAll(existing.Contains);
            }
        }
        catch (Api.ApiException exception)
        {
            await WriteErrorAsync(ApiErrors.FromApi(exception, null, "Could not list API tokens")).ConfigureAwait(false);
            return;
        }

        foreach (string name in unmatchedNames)
        {
            await WriteErrorAsync(ApiErrors.NotFound(name, $"No API token named '{name}' matches.")).ConfigureAwait(false);
        }

        foreach (string id in unmatchedIds)
        {
            await WriteErrorAsync(ApiErrors.NotFound(id, $"No API token with id '{id}' matches.")).ConfigureAwait(false);
        }
    }

    private const int ProgressActivityId = 900;
    private bool _progressShown;

    /// <summary>A listing of more than one page shows how far it is; $ProgressPreference applies.</summary>
    private void ReportProgress(long received, long total, bool completed)
    {
        if (completed)
        {
            if (_progressShown)
            {
                QueueProgress(new ProgressRecord(ProgressActivityId, "Listing API tokens", $"{received} received") { RecordType = ProgressRecordType.Completed });
            }

            return;
        }

        _progressShown = true;
        QueueProgress(new ProgressRecord(ProgressActivityId, "Listing API tokens", $"{received} of {total} received")
        {
            PercentComplete = total > 0 ? (int)Math.Min(100, received * 100 / total) : -1,
        });
    }

    /// <summary>Whose tokens: -UserId, or everyone's with -AllUsers, or the caller's own.</summary>
    private Api.QueryExpression? UserScope() =>
        UserId is { Length: > 0 }
            ? ApiTokenFilter.AnyOf(ApiTokenFilter.UserId, UserId)
            : AllUsers ? null : ApiTokenFilter.Equal(ApiTokenFilter.UserId, Session.UserId);

    /// <summary>Which of these literal values some token in scope has, whatever the other filters say.</summary>
    private async Task<HashSet<string>> FindExistingAsync(
        string property, IReadOnlyList<string> values, Func<Api.ApiToken, string> key, StringComparer comparer, CancellationToken cancellationToken)
    {
        var found = new HashSet<string>(comparer);
        Api.QueryExpression? filter = ApiTokenFilter.AllOf(UserScope(), AnyOfLiteral(property, values.ToArray()));
        for (Api.QueryPage? page = await Client.QueryAsync(filter, cancellationToken).ConfigureAwait(false); page is not null; page = await Client.NextPageAsync(page, cancellationToken).ConfigureAwait(false))
        {
            found.UnionWith(page.Tokens.Select(key));
        }

        return found;
    }

    /// <summary>All filters as one QueryFilter; without -AllUsers/-UserId only the caller's own tokens.</summary>
    private Api.QueryExpression? BuildFilter()
    {
        return ApiTokenFilter.AllOf(
            UserScope(),
            ApiTokenFilter.AnyOf(ApiTokenFilter.Name, Name),
            Id is { Length: > 0 } ? AnyOfLiteral(ApiTokenFilter.Id, Id) : null,
            Status is { } status ? ApiTokenFilter.Equal(ApiTokenFilter.Status, ApiTokenFilter.StatusArgument(status)) : null,
            CreatedAfter is { } after
                ? Api.QueryExpression.Compare(ApiTokenFilter.CreatedDate, "GREATER_THAN", ApiTokenFilter.Date(after, roundUp: false))
                : null,
            CreatedBefore is { } before
                ? Api.QueryExpression.Compare(ApiTokenFilter.CreatedDate, "LESS_THAN", ApiTokenFilter.Date(before, roundUp: true))
                : null,
            NotUsedSince is { } since
                ? Api.QueryExpression.Or(
                    Api.QueryExpression.Compare(ApiTokenFilter.LastUsedDate, "LESS_THAN", ApiTokenFilter.Date(since, roundUp: true)),
                    Api.QueryExpression.Compare(ApiTokenFilter.LastUsedDate, "IS_NULL"))
                : null,
            Token is { } value ? ApiTokenFilter.Equal(ApiTokenFilter.Token, SecureStrings.ToPlainText(value)) : null);
    }

    private static Api.QueryExpression? AnyOfLiteral(string property, string[] values)
    {
        Api.QueryExpression[] parts = values.Select(v => ApiTokenFilter.Equal(property, v)).ToArray();
        return parts.Length == 1 ? parts[0] : Api.QueryExpression.Or(parts);
    }

    /// <summary>The service's LIKE cannot keep a literal % or _ in a wildcard pattern: check those here.</summary>
    private static bool MatchesLocally(Api.ApiToken token, string[] names, string[] users) =>
        (names.Length == 0 || names.Any(n => ApiTokenFilter.Matches(n, token.Name))) &&
        (users.Length == 0 || users.Any(u => ApiTokenFilter.Matches(u, token.UserId)));
}
