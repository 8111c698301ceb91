using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace TokenManagement.Server;

/// <summary>A WHERE fragment and its parameters. Filter input only ever reaches SQL as parameter values.</summary>
public sealed class SqlFilter
{
    public static readonly SqlFilter All = new("1 = 1", []);

    public SqlFilter(string sql, IReadOnlyList<KeyValuePair<string, object>> parameters)
    {
        Sql = sql;
        Parameters = parameters;
    }

    public string Sql { get; }
    public IReadOnlyList<KeyValuePair<string, object>> Parameters { get; }

    public void AddParameters(SqliteCommand command)
    {
        foreach (var (name, value) in Parameters) { command.Parameters.AddWithValue(name, value); }
    }
}

/// <summary>
/// A validated filter expression: what a queryToken keeps between pages. It holds the arguments as the caller gave
/// them, except that a <c>token</c> argument is already its SHA-256 hash (base64): a leaked value must not travel
/// in queryTokens, even encrypted.
/// </summary>
public sealed class FilterNode
{
    [JsonPropertyName("g")] public string? Grouping { get; init; }
    [JsonPropertyName("n")] public IReadOnlyList<FilterNode>? Nested { get; init; }
    [JsonPropertyName("p")] public string? Property { get; init; }
    [JsonPropertyName("o")] public string? Operator { get; init; }
    [JsonPropertyName("a")] public IReadOnlyList<string>? Arguments { get; init; }
}

/// <summary>The kinds of queryable property: each kind decides the operators it takes and how its arguments compare.</summary>
public enum QueryKind { CaseSensitiveText, NameKey, Enumeration, Date, TokenValue }

/// <summary>One queryable property: its column, its kind and, for an enumeration, its values (canonical spelling).</summary>
public sealed record QueryProperty(string Column, QueryKind Kind, IReadOnlyList<string>? Values = null);

/// <summary>
/// The queryable properties of one object type (docs/api.md: ApiToken, AuditLog). The grammar, the limits and the
/// SQL are the translator's, shared by every type; a type is only its property table.
/// </summary>
public sealed class QuerySchema
{
    private QuerySchema(string objectType, IReadOnlyDictionary<string, QueryProperty> properties)
    {
        ObjectType = objectType;
        Properties = properties;
    }

    /// <summary>The object the query lists; a queryToken is bound to it.</summary>
    public string ObjectType { get; }
    public IReadOnlyDictionary<string, QueryProperty> Properties { get; }

    public static readonly QuerySchema ApiToken = new("ApiToken", new Dictionary<string, QueryProperty>(StringComparer.Ordinal)
    {
        ["id"] = new("id", QueryKind.CaseSensitiveText),
        ["name"] = new("name_key", QueryKind.NameKey),
        ["userId"] = new("user_key", QueryKind.NameKey),
        ["status"] = new("status", QueryKind.Enumeration, [TokenStatus.Enabled, TokenStatus.Disabled]),
        ["tokenPrefix"] = new("token_prefix", QueryKind.CaseSensitiveText),
        ["createdDate"] = new("created_date", QueryKind.Date),
        ["lastUsedDate"] = new("last_used_date", QueryKind.Date),
        ["token"] = new("token_hash", QueryKind.TokenValue),
    });

    public static readonly QuerySchema AuditLog = new("AuditLog", new Dictionary<string, QueryProperty>(StringComparer.Ordinal)
    {
        ["date"] = new("date", QueryKind.Date),
        ["userId"] = new("actor_key", QueryKind.NameKey),
        ["ownerUserId"] = new("owner_key", QueryKind.NameKey),
        ["action"] = new("action", QueryKind.Enumeration, AuditValues.Actions),
        ["tokenId"] = new("token_id", QueryKind.CaseSensitiveText),
        ["tokenPrefix"] = new("token_prefix", QueryKind.CaseSensitiveText),
        ["level"] = new("level", QueryKind.Enumeration, AuditValues.Levels),
        ["outcome"] = new("outcome", QueryKind.Enumeration, AuditValues.Outcomes),
    });
}

/// <summary>Translates the platform's QueryFilter grammar (docs/api.md, Query) into SQL over one object type's table.</summary>
public static class QueryFilterTranslator
{
    /// <summary>Groupings inside groupings: the outermost is level 1. The contract states this number.</summary>
    public const int MaxNesting = 32;

    /// <summary>Groupings and simple expressions in one filter.</summary>
    public const int MaxExpressions = 500;

    /// <summary>Characters (UTF-16 code units) in one argument; well inside SQLite's 50,000-byte LIKE pattern limit.</summary>
    public const int MaxArgumentLength = 1000;

    /// <summary>Operator name -> number of arguments.</summary>
    private static readonly Dictionary<string, int> Operators = new(StringComparer.Ordinal)
    {
        ["EQUALS"] = 1, ["NOT_EQUALS"] = 1, ["LIKE"] = 1, ["STARTS_WITH"] = 1, ["BETWEEN"] = 2,
        ["GREATER_THAN"] = 1, ["GREATER_THAN_OR_EQUAL"] = 1, ["LESS_THAN"] = 1, ["LESS_THAN_OR_EQUAL"] = 1,
        ["IS_NULL"] = 0, ["IS_NOT_NULL"] = 0,
    };

    public const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    /// <summary>
    /// Reads a query body (<c>{}</c> or <c>{"QueryFilter":{"expression":...}}</c>) into a validated filter; null
    /// matches everything. Throws <see cref="ApiError"/> 400 naming the offending part.
    /// </summary>
    public static FilterNode? Parse(JsonElement body) => Parse(body, QuerySchema.ApiToken);

    /// <inheritdoc cref="Parse(JsonElement)"/>
    public static FilterNode? Parse(JsonElement body, QuerySchema schema)
    {
        if (body.ValueKind != JsonValueKind.Object) { throw ApiError.InvalidRequest("The query body must be a JSON object."); }
        if (!body.TryGetProperty("QueryFilter", out var queryFilter) || queryFilter.ValueKind == JsonValueKind.Null) { return null; }
        if (queryFilter.ValueKind != JsonValueKind.Object) { throw ApiError.InvalidRequest("QueryFilter must be a JSON object."); }
        if (!queryFilter.TryGetProperty("expression", out var expression) || expression.ValueKind == JsonValueKind.Null) { return null; }
        var expressions = 0;
        return Parse(expression, "expression", schema, nesting: 0, ref expressions);
    }

    private static FilterNode Parse(JsonElement node, string path, QuerySchema schema, int nesting, ref int expressions)
    {
        if (++expressions > MaxExpressions) { throw ApiError.InvalidRequest($"The filter has more than {MaxExpressions} expressions."); }
        if (node.ValueKind != JsonValueKind.Object) { throw ApiError.InvalidRequest($"{path} must be a JSON object."); }
        var op = RequiredString(node, "operator", path);

        if (Ascii.EqualsIgnoreCase(op, "and") || Ascii.EqualsIgnoreCase(op, "or"))
        {
            if (nesting + 1 > MaxNesting)
            {
                throw ApiError.InvalidRequest($"The filter nests groupings deeper than {MaxNesting} levels (at {path}).");
            }
            if (!node.TryGetProperty("nestedExpression", out var nested) || nested.ValueKind != JsonValueKind.Array || nested.GetArrayLength() == 0)
            {
                throw ApiError.InvalidRequest($"{path}: operator '{op}' needs a non-empty nestedExpression array.");
            }
            var children = new List<FilterNode>(nested.GetArrayLength());
            var index = 0;
            foreach (var child in nested.EnumerateArray())
            {
                children.Add(Parse(child, $"{path}.nestedExpression[{index++}]", schema, nesting + 1, ref expressions));
            }
            return new FilterNode { Grouping = Ascii.EqualsIgnoreCase(op, "and") ? "and" : "or", Nested = children };
        }

        var upper = op.ToUpperInvariant();
        if (!Ascii.IsValid(op) || !Operators.TryGetValue(upper, out var argumentCount))
        {
            throw ApiError.InvalidRequest($"{path}: unknown operator '{ApiError.Echo(op)}'.");
        }
        var propertyName = RequiredString(node, "property", path);
        if (!schema.Properties.TryGetValue(propertyName, out var property))
        {
            throw ApiError.InvalidRequest($"{path}: unknown property '{ApiError.Echo(propertyName)}'. Known: {string.Join(", ", schema.Properties.Keys)}.");
        }
        CheckApplies(upper, propertyName, property.Kind, path);
        var arguments = ReadArguments(node, path);
        if (arguments.Count != argumentCount)
        {
            throw ApiError.InvalidRequest($"{path}: operator {upper} takes {argumentCount} argument(s), {arguments.Count} given.");
        }
        for (var i = 0; i < arguments.Count; i++)
        {
            arguments[i] = CheckArgument(arguments[i], upper, propertyName, property, $"{path}.argument[{i}]");
        }
        return new FilterNode { Property = propertyName, Operator = upper, Arguments = arguments };
    }

    /// <summary>SQL for a filter that <see cref="Parse"/> produced (now or, kept in a queryToken, earlier).</summary>
    public static SqlFilter ToSql(FilterNode? filter) => ToSql(filter, QuerySchema.ApiToken);

    /// <inheritdoc cref="ToSql(FilterNode?)"/>
    public static SqlFilter ToSql(FilterNode? filter, QuerySchema schema)
    {
        if (filter is null) { return SqlFilter.All; }
        var parameters = new List<KeyValuePair<string, object>>();
        return new SqlFilter(ToSql(filter, schema, parameters), parameters);
    }

    private static string ToSql(FilterNode node, QuerySchema schema, List<KeyValuePair<string, object>> parameters)
    {
        if (node.Grouping is { } grouping)
        {
            var parts = (node.Nested ?? []).Select(child => "(" + ToSql(child, schema, parameters) + ")");
            return string.Join(grouping == "and" ? " AND " : " OR ", parts);
        }
        var property = schema.Properties[node.Property!];
        var names = (node.Arguments ?? []).Select(argument =>
        {
            var name = "$f" + parameters.Count.ToString(CultureInfo.InvariantCulture);
            parameters.Add(new(name, SqlValue(argument, node.Operator!, property.Kind)));
            return name;
        }).ToList();
        var column = property.Column;
        if (property.Kind == QueryKind.TokenValue)
        {
            // The visibility check runs inside the covering index (TokenStore's ix_tokens_credential): a value that
            // exists but is not the caller's to see costs no more than one that never existed. $a, $admin and $me are
            // the visibility parameters every query statement binds.
            return $"id IN (SELECT held.id FROM tokens AS held INDEXED BY ix_tokens_credential WHERE held.token_hash = {names[0]} "
                + "AND held.account_id = $a AND ($admin OR held.user_key = $me))";
        }
        // SQL's three-valued logic is the contract's: a comparison with a missing lastUsedDate is NULL, so no match.
        return node.Operator switch
        {
            "EQUALS" => $"{column} = {names[0]}",
            "NOT_EQUALS" => $"{column} <> {names[0]}",
            // Case-sensitive: every connection sets PRAGMA case_sensitive_like (TokenStore.Open).
            "LIKE" => $"{column} LIKE {names[0]} ESCAPE '\\'",
            "STARTS_WITH" => $"substr({column}, 1, length({names[0]})) = {names[0]}",
            "BETWEEN" => $"{column} BETWEEN {names[0]} AND {names[1]}",
            "GREATER_THAN" => $"{column} > {names[0]}",
            "GREATER_THAN_OR_EQUAL" => $"{column} >= {names[0]}",
            "LESS_THAN" => $"{column} < {names[0]}",
            "LESS_THAN_OR_EQUAL" => $"{column} <= {names[0]}",
            "IS_NULL" => $"{column} IS NULL",
            "IS_NOT_NULL" => $"{column} IS NOT NULL",
            _ => throw new InvalidOperationException("unreachable"),
        };
    }

    private static void CheckApplies(string op, string propertyName, QueryKind kind, string path)
    {
        var applies = kind switch
        {
            QueryKind.TokenValue => op == "EQUALS",
            QueryKind.Enumeration => op is "EQUALS" or "NOT_EQUALS",
            QueryKind.Date => op is not ("LIKE" or "STARTS_WITH"),
            _ => true,
        };
        if (!applies) { throw ApiError.InvalidRequest($"{path}: operator {op} does not apply to property '{propertyName}'."); }
    }

    /// <summary>Validates one argument; answers what the filter keeps (a token value becomes its hash here).</summary>
    private static string CheckArgument(string argument, string op, string propertyName, QueryProperty property, string path)
    {
        var kind = property.Kind;
        if (argument.Length > MaxArgumentLength)
        {
            throw ApiError.InvalidRequest($"{path}: an argument has at most {MaxArgumentLength} characters; {argument.Length} given.");
        }
        switch (kind)
        {
            case QueryKind.Enumeration:
                // Any ASCII case, kept in the canonical spelling.
                return property.Values!.FirstOrDefault(v => Ascii.EqualsIgnoreCase(v, argument))
                    ?? throw ApiError.InvalidRequest($"{path}: {propertyName} must be {string.Join(" or ", property.Values!)}.");
            case QueryKind.Date when !TryParseDate(argument, out _):
                throw ApiError.InvalidRequest($"{path}: '{ApiError.Echo(argument)}' is not a date of the form yyyy-MM-ddTHH:mm:ssZ for {propertyName}.");
            case QueryKind.TokenValue:
                return Convert.ToBase64String(Secrets.Hash(argument));
        }
        if (op == "LIKE") { LikePattern.Check(argument, path); }
        return argument;
    }

    private static object SqlValue(string argument, string op, QueryKind kind) => kind switch
    {
        QueryKind.NameKey when op == "LIKE" => LikePattern.MapLiterals(argument, Names.Key),
        QueryKind.NameKey => Names.Key(argument),
        QueryKind.Date => TryParseDate(argument, out var seconds) ? seconds : throw new InvalidOperationException("A stored filter holds an unchecked date."),
        QueryKind.TokenValue => Convert.FromBase64String(argument),
        _ => argument,
    };

    /// <summary>Exactly the contract's date form: nothing else parses, however unambiguous.</summary>
    public static bool TryParseDate(string text, out long unixSeconds)
    {
        var ok = DateTimeOffset.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date);
        unixSeconds = ok ? date.ToUnixTimeSeconds() : 0;
        return ok;
    }

    private static List<string> ReadArguments(JsonElement node, string path)
    {
        if (!node.TryGetProperty("argument", out var argument) || argument.ValueKind == JsonValueKind.Null) { return []; }
        if (argument.ValueKind != JsonValueKind.Array) { throw ApiError.InvalidRequest($"{path}.argument must be an array of strings."); }
        var result = new List<string>();
        var index = 0;
        foreach (var item in argument.EnumerateArray())
        {
            // Always JSON strings: a number or a boolean is not quietly turned into one.
            if (item.ValueKind != JsonValueKind.String)
            {
                throw ApiError.InvalidRequest($"{path}.argument[{index}] must be a JSON string, not {item.ValueKind.ToString().ToLowerInvariant()}.");
            }
            result.Add(item.GetString()!);
            index++;
        }
        return result;
    }

    private static string RequiredString(JsonElement node, string name, string path) =>
        node.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw ApiError.InvalidRequest($"{path}.{name} is missing or not a string.");
}

/// <summary>
/// LIKE patterns of docs/api.md: <c>%</c> matches any run of characters, <c>_</c> exactly one, and <c>\</c> makes the
/// next <c>%</c>, <c>_</c> or <c>\</c> literal (a backslash before anything else is an error, not a guess).
/// </summary>
internal static class LikePattern
{
    public static void Check(string pattern, string path)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] != '\\') { continue; }
            if (i + 1 >= pattern.Length || pattern[i + 1] is not ('%' or '_' or '\\'))
            {
                throw ApiError.InvalidRequest($"{path}: in a LIKE pattern '\\' must be followed by %, _ or \\ (character {i + 1}).");
            }
            i++;
        }
    }

    /// <summary>
    /// The pattern with each literal run (the text between wildcards, escapes resolved) passed through
    /// <paramref name="map"/> and escaped again; wildcards stay wildcards. Used to key a name pattern literal by literal.
    /// </summary>
    public static string MapLiterals(string pattern, Func<string, string> map)
    {
        var result = new StringBuilder(pattern.Length);
        var literal = new StringBuilder();
        void Flush()
        {
            if (literal.Length == 0) { return; }
            foreach (var c in map(literal.ToString()))
            {
                if (c is '%' or '_' or '\\') { result.Append('\\'); }
                result.Append(c);
            }
            literal.Clear();
        }
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length) { literal.Append(pattern[++i]); }
            else if (c is '%' or '_') { Flush(); result.Append(c); }
            else { literal.Append(c); }
        }
        Flush();
        return result.ToString();
    }
}
