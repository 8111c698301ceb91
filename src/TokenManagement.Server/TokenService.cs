using System.Text;
using System.Text.Json;

namespace TokenManagement.Server;

/// <summary>The operations of docs/api.md over the store: validation, visibility and roles, paging.</summary>
public sealed class TokenService
{
    private readonly TokenStore _store;
    private readonly ServerOptions _options;
    private readonly QueryTokenCodec _queryTokens;

    public TokenService(TokenStore store, ServerOptions options, QueryTokenCodec queryTokens)
    {
        _store = store;
        _options = options;
        _queryTokens = queryTokens;
    }

    internal const string ApiAccessPrivilege = "API_ACCESS";
    internal const string AccountAdministrationPrivilege = "ACCOUNT_ADMINISTRATION";

    public IResult GetAccount(Caller caller, string accountId)
    {
        if (accountId != caller.AccountId) { throw ApiError.Forbidden("The caller does not belong to that account."); }
        return Ok(new AccountDto
        {
            AccountId = caller.AccountId,
            Name = _store.GetAccountName(caller.AccountId) ?? caller.AccountId,
            CallerPrivileges = caller.IsAdmin ? [ApiAccessPrivilege, AccountAdministrationPrivilege] : [ApiAccessPrivilege],
        });
    }

    public IResult Create(Caller caller, JsonElement body)
    {
        var name = Names.Validate(OptionalString(body, "name") ?? throw ApiError.InvalidRequest("name is required."));
        var (token, value) = _store.Create(caller.AccountId, caller.UserId, name, _options.MaxTokensPerUser, DateTimeOffset.UtcNow);
        return Ok(Json.ToDto(token, value));
    }

    public IResult Get(Caller caller, string id) => Ok(Json.ToDto(_store.GetVisible(caller, CheckedId(id)) ?? throw ApiError.TokenNotFound(id)));

    public IResult Update(Caller caller, string id, JsonElement body)
    {
        CheckedId(id);
        if (body.ValueKind != JsonValueKind.Object) { throw ApiError.InvalidRequest("The request body must be a JSON object."); }
        var name = OptionalString(body, "name") is { } n ? Names.Validate(n) : null;
        var status = OptionalString(body, "status") is { } s
            ? TokenStatus.Parse(s) ?? throw ApiError.InvalidRequest("status must be ENABLED or DISABLED.")
            : null;
        return Ok(Json.ToDto(_store.Update(caller, id, name, status, DateTimeOffset.UtcNow)));
    }

    public void Revoke(Caller caller, string id) => _store.Delete(caller, CheckedId(id), DateTimeOffset.UtcNow);

    public IResult Query(Caller caller, JsonElement body)
    {
        var schema = QuerySchema.ApiToken;
        var filter = QueryFilterTranslator.Parse(body, schema);
        // One read for the count and the first page: they agree even while others write.
        var (total, rows) = _store.FirstPage(caller, QueryFilterTranslator.ToSql(filter, schema), ServerOptions.PageSize + 1);
        return Page(caller, schema, filter, rows, total, TokenPosition, t => Json.ToDto(t));
    }

    public IResult QueryMore(Caller caller, string queryToken)
    {
        var schema = QuerySchema.ApiToken;
        var state = _queryTokens.Decode(caller, schema, queryToken, DateTimeOffset.UtcNow);
        var rows = _store.Page(caller, QueryFilterTranslator.ToSql(state.Filter, schema), (state.AfterDate, state.AfterId), ServerOptions.PageSize + 1);
        return Page(caller, schema, state.Filter, rows, state.Total, TokenPosition, t => Json.ToDto(t));
    }

    public IResult GetAuditEntry(Caller caller, string id) =>
        Ok(Json.ToDto(_store.GetVisibleEntry(caller, CheckedId(id, "The audit entry id in the path")) ?? throw ApiError.NotFound($"No audit entry with id '{ApiError.Echo(id)}' exists.")));

    /// <summary>POST /AuditLog/query: the same grammar, limits and paging as ApiToken, over the audit log's properties.</summary>
    public IResult QueryAuditLog(Caller caller, JsonElement body)
    {
        var schema = QuerySchema.AuditLog;
        var filter = QueryFilterTranslator.Parse(body, schema);
        var (total, rows) = _store.AuditFirstPage(caller, QueryFilterTranslator.ToSql(filter, schema), ServerOptions.PageSize + 1);
        return Page(caller, schema, filter, rows, total, EntryPosition, e => Json.ToDto(e));
    }

    public IResult QueryMoreAuditLog(Caller caller, string queryToken)
    {
        var schema = QuerySchema.AuditLog;
        var state = _queryTokens.Decode(caller, schema, queryToken, DateTimeOffset.UtcNow);
        var rows = _store.AuditPage(caller, QueryFilterTranslator.ToSql(state.Filter, schema), (state.AfterDate, state.AfterId), ServerOptions.PageSize + 1);
        return Page(caller, schema, state.Filter, rows, state.Total, EntryPosition, e => Json.ToDto(e));
    }

    private static (long, string) TokenPosition(TokenRecord token) => (token.CreatedDate, token.Id);

    private static (long, string) EntryPosition(AuditEntry entry) => (entry.Date, entry.Id);

    /// <summary>Rows holds one more than a page when another page follows (no second count needed).</summary>
    private IResult Page<TRow, TDto>(Caller caller, QuerySchema schema, FilterNode? filter, IReadOnlyList<TRow> rows, long total, Func<TRow, (long, string)> position, Func<TRow, TDto> toDto)
    {
        var page = rows.Take(ServerOptions.PageSize).ToList();
        var token = rows.Count > ServerOptions.PageSize ? _queryTokens.Encode(caller, schema, filter, position(page[^1]), total, DateTimeOffset.UtcNow) : null;
        return Ok(new QueryResultDto<TDto> { NumberOfResults = total, QueryToken = token, Result = page.Select(toDto).ToList() });
    }

    public IResult Bulk(Caller caller, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) { throw ApiError.InvalidRequest("The request body must be a JSON object."); }
        var type = OptionalString(body, "type");
        if (type is null || !Ascii.EqualsIgnoreCase(type, "GET")) { throw ApiError.InvalidRequest("type must be GET."); }
        if (!body.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Array)
        {
            throw ApiError.InvalidRequest("request must be an array of {\"id\":\"...\"}.");
        }
        if (request.GetArrayLength() is 0 or > ServerOptions.MaxBulkIds)
        {
            throw ApiError.InvalidRequest($"A bulk request takes 1 to {ServerOptions.MaxBulkIds} ids; {request.GetArrayLength()} given.");
        }
        var ids = request.EnumerateArray()
            .Select((item, index) => item.ValueKind == JsonValueKind.Object && OptionalString(item, "id", $"request[{index}].id") is { } id
                ? CheckedId(id, $"request[{index}].id")
                : throw ApiError.InvalidRequest($"request[{index}] needs an id: {{\"id\":\"...\"}}."))
            .ToList();
        // An id may be asked for twice: each request item gets its answer, the store is asked once.
        var found = _store.GetVisible(caller, ids.Distinct(StringComparer.Ordinal).ToList()).ToDictionary(t => t.Id, StringComparer.Ordinal);
        var response = ids.Select((id, index) => found.TryGetValue(id, out var token)
            ? new BulkItemDto { Index = index, Id = id, StatusCode = 200, Result = Json.ToDto(token) }
            : new BulkItemDto { Index = index, Id = id, StatusCode = 404, ErrorMessage = ApiError.TokenNotFound(id).Message }).ToList();
        return Ok(new BulkResultDto { Response = response });
    }

    /// <summary>Ids are 20 characters; anything past 100 is no id (and is not repeated back in full).</summary>
    public const int MaxIdLength = 100;

    private static string CheckedId(string id, string where = "The token id in the path")
    {
        if (id.Length > MaxIdLength) { throw ApiError.InvalidRequest($"{where}: an id has at most {MaxIdLength} characters; {id.Length} given."); }
        return id;
    }

    private static string? OptionalString(JsonElement body, string property, string? where = null)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw ApiError.InvalidRequest($"{where ?? property} must be a string.");
    }

    private static IResult Ok<T>(T value) => Results.Json(value, Json.Options);
}
