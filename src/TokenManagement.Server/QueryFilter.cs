using System.Globalization;
using System.Text;
using System.Text.Json;
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

/// <summary>Translates the platform's QueryFilter grammar (docs/api.md) into SQL over the tokens table.</summary>
public static class QueryFilterTranslator
{
    private const int MaxDepth = 32;
    private const int MaxNodes = 500;

    private enum Kind { Text, FoldedText, Status, Date, TokenValue }

    private sealed record Property(string Column, Kind Kind);

    private static readonly Dictionary<string, Property> Properties = new(StringComparer.Ordinal)
    {
        ["id"] = new("id", Kind.Text),
        ["name"] = new("name_key", Kind.FoldedText),
        ["userId"] = new("user_key", Kind.FoldedText),
        ["status"] = new("status", Kind.Status),
        ["tokenPrefix"] = new("token_prefix", Kind.Text),
        ["createdDate"] = new("created_date", Kind.Date),
        ["lastUsedDate"] = new("last_used_date", Kind.Date),
        ["token"] = new("token_hash", Kind.TokenValue),
    };

    /// <summary>Operator name -> number of arguments.</summary>
    private static readonly Dictionary<string, int> Operators = new(StringComparer.Ordinal)
    {
        ["EQUALS"] = 1, ["NOT_EQUALS"] = 1, ["LIKE"] = 1, ["STARTS_WITH"] = 1, ["BETWEEN"] = 2,
        ["GREATER_THAN"] = 1, ["GREATER_THAN_OR_EQUAL"] = 1, ["LESS_THAN"] = 1, ["LESS_THAN_OR_EQUAL"] = 1,
        ["IS_NULL"] = 0, ["IS_NOT_NULL"] = 0,
    };

    /// <summary>
    /// Reads a query body (<c>{}</c> or <c>{"QueryFilter":{"expression":...}}</c>) and returns the SQL and the
    /// expression's JSON (kept in queryTokens). Throws <see cref="ApiError"/> 400 naming the offending part.
    /// </summary>
    public static (SqlFilter Filter, string? ExpressionJson) FromQueryBody(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) { throw ApiError.InvalidRequest("The query body must be a JSON object."); }
        if (!body.TryGetProperty("QueryFilter", out var queryFilter) || queryFilter.ValueKind == JsonValueKind.Null)
        {
            return (SqlFilter.All, null);
        }
        if (queryFilter.ValueKind != JsonValueKind.Object) { throw ApiError.InvalidRequest("QueryFilter must be a JSON object."); }
        if (!queryFilter.TryGetProperty("expression", out var expression) || expression.ValueKind == JsonValueKind.Null)
        {
            return (SqlFilter.All, null);
        }
        return (Translate(expression), expression.GetRawText());
    }

    /// <summary>Re-translates an expression kept in a queryToken.</summary>
    public static SqlFilter FromExpressionJson(string? expressionJson)
    {
        if (expressionJson is null) { return SqlFilter.All; }
        using var document = JsonDocument.Parse(expressionJson);
        return Translate(document.RootElement);
    }

    private static SqlFilter Translate(JsonElement expression)
    {
        var parameters = new List<KeyValuePair<string, object>>();
        var nodes = 0;
        var sql = Translate(expression, "expression", 0, parameters, ref nodes);
        return new SqlFilter(sql, parameters);
    }

    private static string Translate(JsonElement node, string path, int depth, List<KeyValuePair<string, object>> parameters, ref int nodes)
    {
        if (depth > MaxDepth) { throw ApiError.InvalidRequest($"The filter nests deeper than {MaxDepth} levels."); }
        if (++nodes > MaxNodes) { throw ApiError.InvalidRequest($"The filter has more than {MaxNodes} expressions."); }
        if (node.ValueKind != JsonValueKind.Object) { throw ApiError.InvalidRequest($"{path} must be a JSON object."); }
        var op = RequiredString(node, "operator", path);

        if (op.Equals("and", StringComparison.OrdinalIgnoreCase) || op.Equals("or", StringComparison.OrdinalIgnoreCase))
        {
            if (!node.TryGetProperty("nestedExpression", out var nested) || nested.ValueKind != JsonValueKind.Array || nested.GetArrayLength() == 0)
            {
                throw ApiError.InvalidRequest($"{path}: operator '{op}' needs a non-empty nestedExpression array.");
            }
            var parts = new List<string>();
            var index = 0;
            foreach (var child in nested.EnumerateArray())
            {
                parts.Add("(" + Translate(child, $"{path}.nestedExpression[{index++}]", depth + 1, parameters, ref nodes) + ")");
            }
            return string.Join(op.Equals("and", StringComparison.OrdinalIgnoreCase) ? " AND " : " OR ", parts);
        }

        var upper = op.ToUpperInvariant();
        if (!Operators.TryGetValue(upper, out var argumentCount))
        {
            throw ApiError.InvalidRequest($"{path}: unknown operator '{ApiError.Echo(op)}'.");
        }
        var propertyName = RequiredString(node, "property", path);
        if (!Properties.TryGetValue(propertyName, out var property))
        {
            throw ApiError.InvalidRequest($"{path}: unknown property '{ApiError.Echo(propertyName)}'. Known: {string.Join(", ", Properties.Keys)}.");
        }
        var arguments = ReadArguments(node, path);
        if (arguments.Count != argumentCount)
        {
            throw ApiError.InvalidRequest($"{path}: operator {upper} takes {argumentCount} argument(s), {arguments.Count} given.");
        }
        CheckApplies(upper, propertyName, property.Kind, path);

        var values = arguments.Select(a => ConvertArgument(a, propertyName, property.Kind, path)).ToList();
        var names = values.Select(v =>
        {
            var name = "$f" + parameters.Count.ToString(CultureInfo.InvariantCulture);
            parameters.Add(new(name, v));
            return name;
        }).ToList();
        var column = property.Column;
        return upper switch
        {
            "EQUALS" => $"{column} = {names[0]}",
            "NOT_EQUALS" => $"{column} IS NOT {names[0]}",
            "LIKE" => $"{column} LIKE {names[0]}",
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

    private static void CheckApplies(string op, string propertyName, Kind kind, string path)
    {
        var applies = kind switch
        {
            Kind.TokenValue => op == "EQUALS",
            Kind.Date => op is not ("LIKE" or "STARTS_WITH"),
            _ => true,
        };
        if (!applies) { throw ApiError.InvalidRequest($"{path}: operator {op} does not apply to property '{propertyName}'."); }
    }

    private static object ConvertArgument(string argument, string propertyName, Kind kind, string path)
    {
        switch (kind)
        {
            case Kind.FoldedText:
                return Keys.Fold(argument);
            case Kind.Status:
                var status = argument.ToUpperInvariant();
                return status is TokenStatus.Enabled or TokenStatus.Disabled
                    ? status
                    : throw ApiError.InvalidRequest($"{path}: status must be ENABLED or DISABLED.");
            case Kind.Date:
                return DateTimeOffset.TryParse(argument, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
                    ? date.ToUnixTimeSeconds()
                    : throw ApiError.InvalidRequest($"{path}: '{ApiError.Echo(argument)}' is not an ISO 8601 date for {propertyName}.");
            case Kind.TokenValue:
                return Secrets.Hash(argument);
            default:
                return argument;
        }
    }

    private static List<string> ReadArguments(JsonElement node, string path)
    {
        if (!node.TryGetProperty("argument", out var argument) || argument.ValueKind == JsonValueKind.Null) { return []; }
        if (argument.ValueKind != JsonValueKind.Array) { throw ApiError.InvalidRequest($"{path}.argument must be an array of strings."); }
        var result = new List<string>();
        foreach (var item in argument.EnumerateArray())
        {
            result.Add(item.ValueKind switch
            {
                JsonValueKind.String => item.GetString()!,
                JsonValueKind.Number => item.GetRawText(),
                _ => throw ApiError.InvalidRequest($"{path}.argument must be an array of strings."),
            });
        }
        return result;
    }

    private static string RequiredString(JsonElement node, string name, string path) =>
        node.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw ApiError.InvalidRequest($"{path}.{name} is missing or not a string.");
}
