using System.Globalization;
using System.Security;
using System.Text.Json;

namespace TokenManagement.Client.Internal;

/// <summary>
/// Encoding and decoding of the contract's JSON (docs/api.md) with System.Text.Json's reader/writer:
/// no reflection, exact property names, unknown properties ignored.
/// </summary>
internal static class ApiJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    // ---- requests ----

    public static byte[] CreateBody(string name) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteEndObject();
    });

    public static byte[] UpdateBody(string? newName, ApiTokenStatus? status) => Write(w =>
    {
        w.WriteStartObject();
        if (newName is not null)
        {
            w.WriteString("name", newName);
        }

        if (status is not null)
        {
            w.WriteString("status", StatusToWire(status.Value));
        }

        w.WriteEndObject();
    });

    public static byte[] BulkBody(IEnumerable<string> ids) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "GET");
        w.WriteStartArray("request");
        foreach (var id in ids)
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>{"QueryFilter":{"expression":...}} or {} for no filter.</summary>
    public static byte[] QueryBody(QueryExpression? filter) => Write(w =>
    {
        w.WriteStartObject();
        if (filter is not null)
        {
            w.WriteStartObject("QueryFilter");
            w.WritePropertyName("expression");
            WriteExpression(w, filter);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    });

    /// <summary>The query for the token with this value; the value is written from a char buffer, never a string.</summary>
    public static byte[] TokenValueQueryBody(ReadOnlySpan<char> value)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            WriteQueryFilterStart(w);
            WriteTokenEquals(w, value);
            WriteQueryFilterEnd(w);
        }

        return DetachClearing(stream);
    }

    /// <summary>One query for several values: an "or" of token EQUALS, built without a managed string of any value.</summary>
    public static byte[] TokenValuesQueryBody(IReadOnlyList<char[]> values)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            WriteQueryFilterStart(w);
            w.WriteStartObject();
            w.WriteString("operator", "or");
            w.WriteStartArray("nestedExpression");
            foreach (var value in values)
            {
                WriteTokenEquals(w, value);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            WriteQueryFilterEnd(w);
        }

        return DetachClearing(stream);
    }

    /// <summary>{"QueryFilter":{"expression": ... (the expression follows).</summary>
    private static void WriteQueryFilterStart(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("QueryFilter");
        w.WritePropertyName("expression");
    }

    private static void WriteQueryFilterEnd(Utf8JsonWriter w)
    {
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteTokenEquals(Utf8JsonWriter w, ReadOnlySpan<char> value)
    {
        w.WriteStartObject();
        w.WriteString("operator", "EQUALS");
        w.WriteString("property", "token");
        w.WriteStartArray("argument");
        w.WriteStringValue(value);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The body, and the stream's own buffer cleared: it held token values (MemoryStream.ToArray copies).</summary>
    private static byte[] DetachClearing(MemoryStream stream)
    {
        var result = stream.ToArray();
        Array.Clear(stream.GetBuffer(), 0, (int)stream.Length);
        return result;
    }

    private static void WriteExpression(Utf8JsonWriter w, QueryExpression expression)
    {
        switch (expression)
        {
            case GroupingExpression g:
                w.WriteStartObject();
                w.WriteString("operator", g.Operator);
                w.WriteStartArray("nestedExpression");
                foreach (var nested in g.Nested ?? Array.Empty<QueryExpression>())
                {
                    WriteExpression(w, nested);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case SimpleExpression s:
                w.WriteStartObject();
                w.WriteString("operator", s.Operator);
                w.WriteString("property", s.Property);
                w.WriteStartArray("argument");
                foreach (var argument in s.Arguments ?? Array.Empty<string>())
                {
                    w.WriteStringValue(argument);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            default:
                throw new ArgumentException($"Unsupported query expression type {expression.GetType().Name}.", nameof(expression));
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            write(w);
        }

        return stream.ToArray();
    }

    public static string StatusToWire(ApiTokenStatus status) => status switch
    {
        ApiTokenStatus.Enabled => "ENABLED",
        ApiTokenStatus.Disabled => "DISABLED",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown token status."),
    };

    // ---- responses ----

    public static ApiToken ReadToken(byte[] body) => Parse(body, ReadToken);

    public static AccountInfo ReadAccount(byte[] body) => Parse(body, root => new AccountInfo
    {
        AccountId = OptionalString(root, "accountId") ?? "",
        Name = OptionalString(root, "name") ?? "",
        Status = OptionalString(root, "status") ?? "",
        CallerPrivileges = root.TryGetProperty("callerPrivileges", out var privileges) && privileges.ValueKind == JsonValueKind.Array
            ? privileges.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()!).ToArray()
            : null,
    });

    public static QueryPage ReadQueryPage(byte[] body) => Parse(body, root =>
    {
        var (tokens, total, queryToken) = ReadQueryResult(root, ReadToken);
        return new QueryPage(tokens, total, queryToken);
    });

    public static AuditLogEntry ReadAuditLogEntry(byte[] body) => Parse(body, ReadAuditLogEntry);

    public static AuditLogPage ReadAuditLogPage(byte[] body) => Parse(body, root =>
    {
        var (entries, total, queryToken) = ReadQueryResult(root, ReadAuditLogEntry);
        return new AuditLogPage(entries, total, queryToken);
    });

    /// <summary>A QueryResult of any object: its results, numberOfResults and queryToken (null on the last page).</summary>
    private static (List<T> Results, long Total, string? QueryToken) ReadQueryResult<T>(JsonElement root, Func<JsonElement, T> read)
    {
        var results = new List<T>();
        if (root.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in result.EnumerateArray())
            {
                results.Add(read(item));
            }
        }

        long total = results.Count;
        if (root.TryGetProperty("numberOfResults", out var n) && n.ValueKind == JsonValueKind.Number)
        {
            total = n.GetInt64();
        }

        var queryToken = OptionalString(root, "queryToken");
        return (results, total, string.IsNullOrEmpty(queryToken) ? null : queryToken);
    }

    public static IReadOnlyList<BulkItem> ReadBulk(byte[] body, int indexOffset) => Parse(body, root =>
    {
        var items = new List<BulkItem>();
        if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Array)
        {
            var position = 0;
            foreach (var item in response.EnumerateArray())
            {
                var index = item.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : position;
                var status = item.TryGetProperty("statusCode", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : 0;
                ApiToken? token = null;
                if (item.TryGetProperty("Result", out var r) && r.ValueKind == JsonValueKind.Object)
                {
                    token = ReadToken(r);
                }

                items.Add(new BulkItem(index + indexOffset, OptionalString(item, "id") ?? token?.Id ?? "", status, token, OptionalString(item, "errorMessage")));
                position++;
            }
        }

        return (IReadOnlyList<BulkItem>)items;
    });

    /// <summary>The create response: the token, and its value copied straight into a SecureString.</summary>
    public static CreatedApiToken ReadCreated(byte[] body)
    {
        var token = ReadToken(body);
        var value = ReadSecretProperty(body, "token");
        if (value is null)
        {
            throw Undefined("the create response holds no token value");
        }

        return new CreatedApiToken(token, value);
    }

    /// <summary>The error body's code and message; nulls when the body is not the contract's Error.</summary>
    public static (string? Code, string? Message) ReadError(byte[] body)
    {
        if (body.Length == 0)
        {
            return (null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            return (OptionalString(doc.RootElement, "code"), OptionalString(doc.RootElement, "message"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static SecureString? ReadSecretProperty(byte[] body, string propertyName)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(propertyName);
            reader.Read();
            if (match && reader.TokenType == JsonTokenType.String)
            {
                var buffer = new char[reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length];
                try
                {
                    var length = reader.CopyString(buffer);
                    var secure = new SecureString();
                    for (var i = 0; i < length; i++)
                    {
                        secure.AppendChar(buffer[i]);
                    }

                    secure.MakeReadOnly();
                    return secure;
                }
                finally
                {
                    Array.Clear(buffer, 0, buffer.Length);
                }
            }

            reader.Skip();
        }

        return null;
    }

    private static ApiToken ReadToken(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Undefined("a token is not a JSON object");
        }

        return new ApiToken
        {
            Id = OptionalString(e, "id") ?? throw Undefined("a token has no id"),
            AccountId = OptionalString(e, "accountId") ?? "",
            UserId = OptionalString(e, "userId") ?? "",
            Name = OptionalString(e, "name") ?? "",
            TokenPrefix = OptionalString(e, "tokenPrefix") ?? "",
            Status = ParseStatus(OptionalString(e, "status")),
            CreatedDate = ParseDate(OptionalString(e, "createdDate"), "createdDate") ?? default,
            LastUsedDate = ParseDate(OptionalString(e, "lastUsedDate"), "lastUsedDate"),
        };
    }

    private static AuditLogEntry ReadAuditLogEntry(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Undefined("an audit entry is not a JSON object");
        }

        return new AuditLogEntry
        {
            Id = OptionalString(e, "id") ?? throw Undefined("an audit entry has no id"),
            AccountId = OptionalString(e, "accountId") ?? "",
            Date = ParseDate(OptionalString(e, "date"), "date") ?? default,
            UserId = OptionalString(e, "userId") ?? "",
            OwnerUserId = OptionalString(e, "ownerUserId") ?? "",
            Action = ParseWire<AuditAction>(OptionalString(e, "action"), "action"),
            TokenId = OptionalString(e, "tokenId") ?? "",
            TokenName = OptionalString(e, "tokenName") ?? "",
            NewTokenName = OptionalString(e, "newTokenName"),
            TokenPrefix = OptionalString(e, "tokenPrefix") ?? "",
            Level = ParseWire<AuditLevel>(OptionalString(e, "level"), "level"),
            Source = OptionalString(e, "source") ?? "",
            Outcome = ParseWire<AuditOutcome>(OptionalString(e, "outcome"), "outcome"),
        };
    }

    /// <summary>The wire's UPPER_CASE value of an enumeration (NAME_CONFLICT is NameConflict); anything else is undefined.</summary>
    private static T ParseWire<T>(string? value, string property)
        where T : struct, Enum
    {
        foreach (T candidate in Enum.GetValues(typeof(T)))
        {
            if (string.Equals(ToWire(candidate), value, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        throw Undefined($"an audit entry has the unknown {property} '{value}'");
    }

    /// <summary>An enumeration value as the wire spells it: NameConflict is NAME_CONFLICT.</summary>
    public static string ToWire<T>(T value)
        where T : struct, Enum
    {
        var name = value.ToString();
        var wire = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                wire.Append('_');
            }

            wire.Append(char.ToUpperInvariant(name[i]));
        }

        return wire.ToString();
    }

    private static ApiTokenStatus ParseStatus(string? value)
    {
        if (string.Equals(value, "ENABLED", StringComparison.OrdinalIgnoreCase))
        {
            return ApiTokenStatus.Enabled;
        }

        if (string.Equals(value, "DISABLED", StringComparison.OrdinalIgnoreCase))
        {
            return ApiTokenStatus.Disabled;
        }

        throw Undefined($"a token has the unknown status '{value}'");
    }

    private static DateTimeOffset? ParseDate(string? value, string property)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            return date;
        }

        throw Undefined($"the {property} '{value}' is not a date");
    }

    private static string? OptionalString(JsonElement e, string property) =>
        e.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static T Parse<T>(byte[] body, Func<JsonElement, T> read)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Undefined("the response is not a JSON object");
            }

            return read(doc.RootElement);
        }
        catch (JsonException ex)
        {
            // The reader's message is not repeated: it may quote part of the body.
            throw new ApiException(ApiErrorKind.ServerError, "The service answered with a body that is not valid JSON. Check that the URI points to the token service.", null, null, ex.InnerException);
        }
        catch (Exception ex) when (ex is InvalidOperationException || ex is FormatException)
        {
            throw new ApiException(ApiErrorKind.ServerError, "The service answered with JSON of an unexpected shape. Check that the URI points to the token service.", null, null, ex.InnerException);
        }
    }

    private static ApiException Undefined(string what) =>
        new(ApiErrorKind.ServerError, $"The service answered with an unexpected response: {what}. Check that the URI points to the token service.");
}
