using System.Text;
using System.Text.Json;

namespace TokenManagement.Server;

/// <summary>
/// Reads request bodies strictly (docs/api.md, Media type): syntactically valid JSON, every string and property name
/// valid Unicode (no invalid UTF-8, no lone surrogate), no property twice in one object, at most
/// <see cref="MaxDepth"/> levels. Anything else is a 400 that says where.
/// </summary>
internal static class RequestBody
{
    /// <summary>Objects and arrays nested in a body; leaves room for the deepest filter (<see cref="QueryFilterTranslator.MaxNesting"/>).</summary>
    public const int MaxDepth = 100;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task<JsonElement> ReadJsonAsync(HttpContext context, bool emptyIsObject)
    {
        var bytes = await ReadAllAsync(context);
        if (bytes.Length == 0)
        {
            if (emptyIsObject) { return ParseJson("{}"u8); }
            throw ApiError.InvalidRequest("The request needs a JSON body.");
        }
        return ParseJson(bytes);
    }

    /// <summary>A text/plain body (queryMore), decoded as strict UTF-8.</summary>
    public static async Task<string> ReadTextAsync(HttpContext context)
    {
        var bytes = await ReadAllAsync(context);
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { throw ApiError.InvalidRequest("The request body is not valid UTF-8 text."); }
    }

    public static JsonElement ParseJson(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) { utf8 = utf8[3..]; } // a UTF-8 byte order mark is not content
        CheckSyntaxAndDepth(utf8);
        using var document = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth + 1 });
        CheckStrings(document.RootElement, "");
        return document.RootElement.Clone();
    }

    private static async Task<byte[]> ReadAllAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        try { await context.Request.Body.CopyToAsync(body, context.RequestAborted); }
        catch (IOException e) when (e is not BadHttpRequestException && !context.RequestAborted.IsCancellationRequested)
        {
            // Broken framing can surface as a plain IOException (e.g. "Bad chunk size data."): the client's fault, not ours.
            throw ApiError.InvalidRequest($"The request body could not be read: {ApiError.Echo(e.Message)}");
        }
        return body.ToArray();
    }

    /// <summary>Iterative, so that a body of 60,000 brackets costs a loop, not the stack.</summary>
    private static void CheckSyntaxAndDepth(ReadOnlySpan<byte> utf8)
    {
        // The reader's own limit stays out of the way (it would say "invalid JSON"); this loop says "too deep".
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = ServerOptions.MaxRequestBodyBytes + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= MaxDepth && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    throw ApiError.InvalidRequest($"The request body nests objects and arrays deeper than {MaxDepth} levels.");
                }
            }
        }
        catch (JsonException e)
        {
            throw ApiError.InvalidRequest($"The request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }
    }

    /// <summary>Recursive, but only as deep as <see cref="MaxDepth"/> allows.</summary>
    private static void CheckStrings(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                try { element.GetString(); }
                catch (InvalidOperationException) { throw NotUnicode(path); }
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray()) { CheckStrings(item, $"{path}[{index++}]"); }
                break;
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try { name = property.Name; }
                    catch (InvalidOperationException) { throw NotUnicode(path.Length == 0 ? "a property name" : $"a property name of {Shown(path)}"); }
                    var childPath = path.Length == 0 ? ApiError.Echo(name) : $"{path}.{ApiError.Echo(name)}";
                    if (!seen.Add(name))
                    {
                        throw ApiError.InvalidRequest($"The request body has the property '{ApiError.Echo(name)}' twice in {(path.Length == 0 ? "the same object" : Shown(path))}.");
                    }
                    CheckStrings(property.Value, childPath);
                }
                break;
        }
    }

    private static ApiError NotUnicode(string where) =>
        ApiError.InvalidRequest($"The request body is not valid Unicode at {(where.Length == 0 ? "its top level" : Shown(where))}: invalid UTF-8 or a lone surrogate.");

    /// <summary>
    /// A path as a message shows it: its last <see cref="ApiError.MaxEcho"/> characters (the deep end says where), since
    /// a path 99 levels deep is caller input of any length.
    /// </summary>
    private static string Shown(string path)
    {
        if (path.Length <= ApiError.MaxEcho) { return path; }
        var start = path.Length - ApiError.MaxEcho;
        if (char.IsLowSurrogate(path[start])) { start++; }
        return "…" + path[start..];
    }
}
