using System.Management.Automation;
using TokenManagement.Infrastructure;
using Api = TokenManagement.Client;

namespace TokenManagement.Commands;

/// <summary>
/// The account's audit log of token actions, oldest first: administrators see the whole account, other users the
/// entries they acted in and those about their own tokens (the service decides).
/// </summary>
[Cmdlet(VerbsCommon.Get, "AtomSphereAuditLog", SupportsPaging = true)]
[OutputType(typeof(AuditLogEntry))]
public sealed class GetAtomSphereAuditLogCommand : ApiTokenCommandBase
{
    /// <summary>Entries at or after this instant (an unspecified Kind is local time).</summary>
    [Parameter]
    public DateTime? After { get; set; }

    /// <summary>Entries at or before this instant (an unspecified Kind is local time).</summary>
    [Parameter]
    public DateTime? Before { get; set; }

    /// <summary>The acting users.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateWildcardPattern]
    [SupportsWildcards]
    public string[]? UserId { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public AuditLogAction[]? Action { get; set; }

    /// <summary>The tokens whose history to get; a piped ApiToken binds its Id here.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    public string[]? TokenId { get; set; }

    /// <summary>The tokens whose values start with these 6 characters: a leaked fragment's history, also once revoked.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateTokenPrefix]
    public string[]? TokenPrefix { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        ulong skip = PagingParameters.Skip;
        ulong first = PagingParameters.First;
        bool includeTotal = PagingParameters.IncludeTotalCount.IsPresent;
        if (first == 0 && !includeTotal)
        {
            return;
        }

        string[] users = UserId ?? Array.Empty<string>();
        bool inexact = users.Any(ApiTokenFilter.IsInexact);
        Api.AtomSphereClient client = CurrentConnection.Session.Client;
        ulong skipped = 0;
        ulong written = 0;
        bool firstPage = true;
        try
        {
            for (Api.AuditLogPage? page = await client.QueryAuditLogAsync(BuildFilter(), cancellationToken).ConfigureAwait(false);
                 page is not null;
                 page = await client.NextAuditLogPageAsync(page, cancellationToken).ConfigureAwait(false))
            {
                if (firstPage && includeTotal)
                {
                    await WriteObjectAsync(PagingParameters.NewTotalCount((ulong)Math.Max(0, page.NumberOfResults), inexact ? 0.5 : 1.0)).ConfigureAwait(false);
                }

                firstPage = false;
                foreach (Api.AuditLogEntry entry in page.Entries)
                {
                    // A user id pattern was narrowed by the service's LIKE; the same rule as Get-ApiToken's confirms it.
                    if (users.Any(ApiTokenNames.IsPattern) && !users.Any(u => ApiTokenNames.Matches(u, entry.UserId)))
                    {
                        continue;
                    }

                    if (skipped < skip)
                    {
                        skipped++;
                        continue;
                    }

                    if (written >= first)
                    {
                        return;
                    }

                    await WriteObjectAsync(ApiTokenMapper.ToPublic(entry)).ConfigureAwait(false);
                    written++;
                }

                // -First is satisfied: the next page is not requested.
                if (written >= first)
                {
                    return;
                }
            }
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            await WriteErrorAsync(ApiErrors.FromException(exception, TokenId is { Length: 1 } ids ? ids[0] : null, "Could not read the audit log")).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// All filters as one QueryFilter. Dates are inclusive and the service's are whole seconds, so a bound is rounded
    /// inwards to one: up for -After, down for -Before.
    /// </summary>
    private Api.QueryExpression? BuildFilter() => ApiTokenFilter.AllOf(
        After is { } after ? Api.QueryExpression.Compare(ApiTokenFilter.EntryDate, "GREATER_THAN_OR_EQUAL", ApiTokenFilter.Date(after, roundUp: true)) : null,
        Before is { } before ? Api.QueryExpression.Compare(ApiTokenFilter.EntryDate, "LESS_THAN_OR_EQUAL", ApiTokenFilter.Date(before, roundUp: false)) : null,
        ApiTokenFilter.AnyOf(ApiTokenFilter.UserId, UserId),
        ApiTokenFilter.AnyEqual(ApiTokenFilter.Action, (Action ?? Array.Empty<AuditLogAction>()).Distinct().Select(ApiTokenFilter.ActionArgument)),
        ApiTokenFilter.AnyEqual(ApiTokenFilter.TokenId, (TokenId ?? Array.Empty<string>()).Distinct(StringComparer.Ordinal)),
        ApiTokenFilter.AnyEqual(ApiTokenFilter.TokenPrefix, (TokenPrefix ?? Array.Empty<string>()).Distinct(StringComparer.Ordinal)));
}
