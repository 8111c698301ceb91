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
    [ValidateWildcardPattern]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ApiTokenNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Any token the caller may see, by id (also from a property named Id of piped objects, e.g. Import-Csv rows).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ApiTokenIdCompleter))]
    public string[]? Id { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateWildcardPattern]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ApiTokenUserIdCompleter))]
    public string[]? UserId { get; set; }

    /// <summary>Every user's tokens (needs Account Administration).</summary>
    [Parameter]
    public SwitchParameter AllUsers { get; set; }

    /// <summary>Enabled or Disabled (the service keeps no revoked tokens).</summary>
    [Parameter]
    [ValidateSet(nameof(ApiTokenStatus.Enabled), nameof(ApiTokenStatus.Disabled))]
    public ApiTokenStatus? Status { get; set; }

    [Parameter]
    public DateTime? CreatedAfter { get; set; }

    [Parameter]
    public DateTime? CreatedBefore { get; set; }

    /// <summary>Tokens last used before this date, and tokens never used.</summary>
    [Parameter]
    public DateTime? NotUsedSince { get; set; }

    /// <summary>The tokens whose values start with these 6 characters (a leaked fragment; the administrators' page searches so).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateTokenPrefix]
    public string[]? TokenPrefix { get; set; }

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
        var unmatchedNames = new List<string>(names.Where(n => !ApiTokenNames.IsPattern(n)).Distinct(ApiTokenNames.Comparer));
        var unmatchedIds = new List<string>((Id ?? Array.Empty<string>()).Distinct(StringComparer.Ordinal));
        bool inexact = names.Concat(users).Any(ApiTokenFilter.IsInexact);

        AtomSphereConnection connection = CurrentConnection;
        Api.AtomSphereClient client = connection.Session.Client;
        WarnIfOthersInvisible(connection);

        // Many ids are asked for in several queries (the service limits a filter's size).
        string[][] idChunks = Id is { Length: > 0 } ids
            ? ids.Distinct(StringComparer.Ordinal).Select((id, i) => (id, i)).GroupBy(x => x.i / IdsPerQuery, x => x.id).Select(g => g.ToArray()).ToArray()
            : new[] { Array.Empty<string>() };
        ulong skipped = 0;
        ulong written = 0;
        long received = 0;
        bool complete = true;
        bool firstPage = true;
        long? listingTotal = null;
        try
        {
            foreach (string[] idChunk in idChunks)
            {
                Api.QueryExpression? filter = BuildFilter(connection, idChunk);
                for (Api.QueryPage? page = await client.QueryAsync(filter, cancellationToken).ConfigureAwait(false); page is not null; page = await client.NextPageAsync(page, cancellationToken).ConfigureAwait(false))
                {
                    if (firstPage && idChunks.Length == 1 && !inexact)
                    {
                        // Exactly how many this listing writes: bulk cmdlets downstream show it as their progress total.
                        ulong after = (ulong)Math.Max(0, page.NumberOfResults) > skip ? (ulong)page.NumberOfResults - skip : 0;
                        listingTotal = (long)Math.Min(after, first);
                    }

                    if (firstPage && includeTotal)
                    {
                        ulong estimate = idChunks.Length == 1 ? (ulong)Math.Max(0, page.NumberOfResults) : (ulong)unmatchedIds.Count;
                        await WriteObjectAsync(PagingParameters.NewTotalCount(estimate, inexact || idChunks.Length > 1 ? 0.5 : 1.0)).ConfigureAwait(false);
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

                        unmatchedNames.RemoveAll(n => ApiTokenNames.Matches(n, token.Name));
                        unmatchedIds.Remove(token.Id);
                        if (skipped < skip)
                        {
                            skipped++;
                            continue;
                        }

                        if (written < first)
                        {
                            ApiToken output = ApiTokenMapper.ToPublic(token, connection);
                            output.ListingTotal = listingTotal;
                            await WriteObjectAsync(output).ConfigureAwait(false);
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

                if (!complete || written >= first)
                {
                    break;
                }
            }
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            await WriteErrorAsync(ApiErrors.FromException(exception, null, "Could not list API tokens", situation: ErrorCase.Through(connection))).ConfigureAwait(false);
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
        bool narrowed = Status.HasValue || CreatedAfter.HasValue || CreatedBefore.HasValue || NotUsedSince.HasValue || Token is not null || TokenPrefix is { Length: > 0 };
        try
        {
            // Which literal a result answered is only a guess here: before a literal is reported missing, the service
            // is asked about it alone (it may also exist and only be filtered out by the other parameters).
            var existingNames = new List<string>();
            foreach (string name in unmatchedNames)
            {
                if (await ExistsAsync(connection, name, cancellationToken).ConfigureAwait(false))
                {
                    existingNames.Add(name);
                }
            }

            unmatchedNames.RemoveAll(existingNames.Contains);

            if (unmatchedIds.Count > 0 && (narrowed || Name is { Length: > 0 }))
            {
                HashSet<string> existing = await FindExistingAsync(connection, ApiTokenFilter.Id, unmatchedIds, t => t.Id, StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);
                unmatchedIds.RemoveAll(existing.Contains);
            }
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            await WriteErrorAsync(ApiErrors.FromException(exception, null, "Could not list API tokens", situation: ErrorCase.Through(connection))).ConfigureAwait(false);
            return;
        }

        foreach (string name in unmatchedNames)
        {
            await WriteErrorAsync(await NameNotFoundAsync(connection, ApiTokenNames.Literal(name), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }

        foreach (string id in unmatchedIds)
        {
            await WriteErrorAsync(ApiErrors.NotFound(id, $"User {connection.UserId} can see no API token with id '{id}'.", ApiErrors.UnseenAdvice(connection))).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A literal name that matched nothing in scope, said for the case: whose tokens were searched and, when the
    /// caller searched only their own and can see others', how many other users hold it. Never the advice to run
    /// Get-ApiToken, which is what was just run.
    /// </summary>
    private async Task<ErrorRecord> NameNotFoundAsync(AtomSphereConnection connection, string name, CancellationToken cancellationToken)
    {
        const string WildcardAdvice = "Names are compared ignoring case; a wildcard (e.g. -Name '{0}*') finds names that start with it.";
        string wildcard = string.Format(System.Globalization.CultureInfo.InvariantCulture, WildcardAdvice,
            System.Management.Automation.Language.CodeGeneration.EscapeSingleQuotedStringContent(WildcardPattern.Escape(name)));
        if (UserId is { Length: > 0 } users)
        {
            return ApiErrors.NotFound(name, $"No API token of {string.Join(", ", users)} is named '{name}'.", wildcard);
        }

        bool everyone = AllUsers || Id is { Length: > 0 };
        if (everyone && connection.Session.IsAdministrator == true)
        {
            return ApiErrors.NotFound(name, $"No API token in account {connection.AccountId} is named '{name}'.", wildcard);
        }

        long others = everyone ? 0 : await TargetResolver.OthersNamedAsync(connection, name, cancellationToken).ConfigureAwait(false);
        return others > 0
            ? ApiErrors.NotFound(name, $"You have no API token named '{name}'; {(others == 1 ? "1 other user does" : $"{others} other users do")}: add -AllUsers.", null)
            : ApiErrors.NotFound(name, $"You have no API token named '{name}'.", wildcard);
    }

    private bool _scopeWarned;

    /// <summary>
    /// A listing of other users' tokens by someone who can see only their own is silently partial: said once per
    /// command, so that an audit does not look complete when it is not.
    /// </summary>
    private void WarnIfOthersInvisible(AtomSphereConnection connection)
    {
        if (_scopeWarned || connection.Session.IsAdministrator != false)
        {
            return;
        }

        string? asked = AllUsers
            ? "-AllUsers"
            : UserId?.Any(u => ApiTokenNames.IsPattern(u) || !ApiTokenNames.AreEqual(u, connection.UserId)) == true ? "-UserId" : null;
        if (asked is null)
        {
            return;
        }

        _scopeWarned = true;
        QueueWarning($"Only your own tokens are visible to {connection.UserId}: {asked} lists other users' tokens only with Account Administration, which this user does not have.");
    }

    /// <summary>Ids per query: well inside the service's limit on a filter's expressions.</summary>
    private const int IdsPerQuery = 50;

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

    /// <summary>Whose tokens: -UserId, or everyone's with -AllUsers or -Id (any token the caller may see), or the caller's own.</summary>
    private Api.QueryExpression? UserScope(AtomSphereConnection connection) =>
        UserId is { Length: > 0 }
            ? ApiTokenFilter.AnyOf(ApiTokenFilter.UserId, UserId)
            : AllUsers || Id is { Length: > 0 } ? null : ApiTokenFilter.Equal(ApiTokenFilter.UserId, connection.UserId);

    /// <summary>Whether some token in scope has this literal name, as the service compares names.</summary>
    private async Task<bool> ExistsAsync(AtomSphereConnection connection, string literal, CancellationToken cancellationToken)
    {
        Api.QueryPage page = await connection.Session.Client.QueryAsync(
            ApiTokenFilter.AllOf(UserScope(connection), ApiTokenFilter.Equal(ApiTokenFilter.Name, ApiTokenNames.Literal(literal))), cancellationToken).ConfigureAwait(false);
        return page.Tokens.Count > 0;
    }

    /// <summary>Which of these literal values some token in scope has, whatever the other filters say.</summary>
    private async Task<HashSet<string>> FindExistingAsync(
        AtomSphereConnection connection, string property, IReadOnlyList<string> values, Func<Api.ApiToken, string> key, StringComparer comparer, CancellationToken cancellationToken)
    {
        var found = new HashSet<string>(comparer);
        Api.AtomSphereClient client = connection.Session.Client;
        Api.QueryExpression? filter = ApiTokenFilter.AllOf(UserScope(connection), ApiTokenFilter.AnyEqual(property, values));
        for (Api.QueryPage? page = await client.QueryAsync(filter, cancellationToken).ConfigureAwait(false); page is not null; page = await client.NextPageAsync(page, cancellationToken).ConfigureAwait(false))
        {
            found.UnionWith(page.Tokens.Select(key));
        }

        return found;
    }

    /// <summary>All filters as one QueryFilter; without -AllUsers/-UserId only the caller's own tokens.</summary>
    private Api.QueryExpression? BuildFilter(AtomSphereConnection connection, string[] ids)
    {
        return ApiTokenFilter.AllOf(
            UserScope(connection),
            ApiTokenFilter.AnyOf(ApiTokenFilter.Name, Name),
            ApiTokenFilter.AnyEqual(ApiTokenFilter.Id, ids),
            ApiTokenFilter.AnyEqual(ApiTokenFilter.TokenPrefix, (TokenPrefix ?? Array.Empty<string>()).Distinct(StringComparer.Ordinal)),
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

    /// <summary>
    /// Patterns are narrowed by the service's LIKE and confirmed here by the service's own rules. Values given only as
    /// literals were matched by the service (EQUALS) and are not checked again.
    /// </summary>
    private static bool MatchesLocally(Api.ApiToken token, string[] names, string[] users) =>
        Confirms(names, token.Name) && Confirms(users, token.UserId);

    private static bool Confirms(string[] values, string? actual) =>
        !values.Any(ApiTokenNames.IsPattern) || values.Any(v => ApiTokenNames.Matches(v, actual));
}
