using System.Text.Json;
using System.Text.Json.Nodes;

namespace TokenManagement.Server;

/// <summary>What a fault rule does to the request it fires on.</summary>
public enum FaultKind
{
    /// <summary>503 Unavailable (with Retry-After unless retryAfter is 0) before touching anything.</summary>
    Unavailable,

    /// <summary>503 RateLimited with Retry-After before touching anything.</summary>
    RateLimited,

    /// <summary>500 InternalError (with a request id) before touching anything.</summary>
    InternalError,

    /// <summary>The connection is dropped before the request is processed: nothing changed, no answer.</summary>
    AbortBefore,

    /// <summary>The request is processed and committed, then the connection is dropped before the answer leaves.</summary>
    AbortAfterCommit,

    /// <summary>The request waits delayMs, then is processed normally (for client timeouts).</summary>
    Delay,
}

/// <summary>
/// One rule of a <see cref="FaultPlan"/>: which requests it counts (method and path; absent matches all), how many
/// of them it lets through first (<see cref="Skip"/>) and on how many after that it fires (<see cref="Times"/>).
/// </summary>
public sealed class FaultRule
{
    public string? Method { get; init; }

    /// <summary>The request path as received (e.g. /api/rest/v1/acme/ApiToken/abc); <c>*</c> matches any run of characters.</summary>
    public string? Path { get; init; }

    public int Skip { get; init; }
    public int Times { get; init; } = 1;
    public FaultKind Fault { get; init; }

    /// <summary>Seconds for Retry-After (unavailable, rate-limited); 0 sends none.</summary>
    public int RetryAfter { get; init; } = 1;

    public int DelayMs { get; init; }

    internal int Seen { get; set; }
    internal int Fired { get; set; }

    internal bool Matches(string method, string path) =>
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase)) && (Path is null || Glob(Path, path));

    /// <summary><c>*</c> matches any run of characters (also none); everything else matches itself, case-sensitively.</summary>
    private static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*') { star = p++; resume = t; }
            else if (p < pattern.Length && pattern[p] == text[t]) { p++; t++; }
            else if (star >= 0) { p = star + 1; t = ++resume; }
            else { return false; }
        }
        while (p < pattern.Length && pattern[p] == '*') { p++; }
        return p == pattern.Length;
    }
}

/// <summary>
/// Faults chosen by a test, request by request (the model: PowerShell's WebListener RetryController), so that a retry
/// or recovery test reproduces exactly: "the next 2 DELETEs of this id answer 503", "abort after commit on the 3rd
/// request". Each rule counts the requests that match it, in the order they reach the server; when several rules are
/// due for one request, the first listed applies. Thread-safe: concurrent requests are counted one at a time.
/// </summary>
public sealed class FaultPlan
{
    private readonly object _gate = new();
    private readonly List<FaultRule> _rules = [];

    public void Add(params FaultRule[] rules)
    {
        lock (_gate) { _rules.AddRange(rules); }
    }

    public void Replace(IEnumerable<FaultRule> rules)
    {
        lock (_gate)
        {
            _rules.Clear();
            _rules.AddRange(rules);
        }
    }

    public void Clear()
    {
        lock (_gate) { _rules.Clear(); }
    }

    /// <summary>Counts the request against every rule it matches; answers the rule that fires on it, if any.</summary>
    internal FaultRule? Next(string method, string path)
    {
        lock (_gate)
        {
            FaultRule? firing = null;
            foreach (var rule in _rules)
            {
                if (!rule.Matches(method, path)) { continue; }
                rule.Seen++;
                if (firing is null && rule.Seen > rule.Skip && rule.Seen <= rule.Skip + rule.Times) { firing = rule; }
            }
            if (firing is not null) { firing.Fired++; }
            return firing;
        }
    }

    /// <summary>The plan as JSON, each rule with how many matching requests it has seen and how often it fired.</summary>
    public string Describe()
    {
        lock (_gate)
        {
            var faults = new JsonArray();
            foreach (var rule in _rules)
            {
                var item = new JsonObject();
                if (rule.Method is not null) { item["method"] = rule.Method; }
                if (rule.Path is not null) { item["path"] = rule.Path; }
                item["skip"] = rule.Skip;
                item["times"] = rule.Times;
                item["fault"] = Names[rule.Fault];
                if (rule.Fault is FaultKind.Unavailable or FaultKind.RateLimited) { item["retryAfter"] = rule.RetryAfter; }
                if (rule.Fault == FaultKind.Delay) { item["delayMs"] = rule.DelayMs; }
                item["seen"] = rule.Seen;
                item["fired"] = rule.Fired;
                faults.Add(item);
            }
            return new JsonObject { ["faults"] = faults }.ToJsonString();
        }
    }

    internal static readonly IReadOnlyDictionary<FaultKind, string> Names = new Dictionary<FaultKind, string>
    {
        [FaultKind.Unavailable] = "unavailable",
        [FaultKind.RateLimited] = "rate-limited",
        [FaultKind.InternalError] = "internal-error",
        [FaultKind.AbortBefore] = "abort-before",
        [FaultKind.AbortAfterCommit] = "abort-after-commit",
        [FaultKind.Delay] = "delay",
    };

    private static readonly HashSet<string> RuleProperties = ["method", "path", "skip", "times", "fault", "retryAfter", "delayMs"];

    /// <summary>
    /// Reads <c>{"faults":[{"method":"DELETE","path":"*/ApiToken/abc","skip":0,"times":2,"fault":"unavailable"}, ...]}</c>.
    /// Throws <see cref="FormatException"/> naming the offending part: a plan with a typo must not silently do nothing.
    /// </summary>
    public static IReadOnlyList<FaultRule> Parse(string json)
    {
        JsonElement root;
        try { root = RequestBody.ParseJson(System.Text.Encoding.UTF8.GetBytes(json)); }
        catch (ApiError e) { throw new FormatException(e.Message); }
        return Parse(root);
    }

    public static IReadOnlyList<FaultRule> Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("faults", out var faults) || faults.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("A fault plan is {\"faults\":[rule, ...]}.");
        }
        var rules = new List<FaultRule>();
        var index = 0;
        foreach (var item in faults.EnumerateArray())
        {
            var where = $"faults[{index++}]";
            if (item.ValueKind != JsonValueKind.Object) { throw new FormatException($"{where} must be an object."); }
            foreach (var property in item.EnumerateObject())
            {
                if (!RuleProperties.Contains(property.Name))
                {
                    throw new FormatException($"{where}: unknown property '{ApiError.Echo(property.Name)}'. Known: {string.Join(", ", RuleProperties)}.");
                }
            }
            var faultName = Text(item, "fault", where) ?? throw new FormatException($"{where}.fault is required: one of {string.Join(", ", Names.Values)}.");
            var fault = Names.FirstOrDefault(n => n.Value == faultName).Key;
            if (Names[fault] != faultName) { throw new FormatException($"{where}.fault '{ApiError.Echo(faultName)}' is not one of {string.Join(", ", Names.Values)}."); }
            var rule = new FaultRule
            {
                Method = Text(item, "method", where)?.ToUpperInvariant(),
                Path = Text(item, "path", where),
                Skip = Number(item, "skip", where, 0, 0),
                Times = Number(item, "times", where, 1, 1),
                Fault = fault,
                RetryAfter = Number(item, "retryAfter", where, 1, 0),
                DelayMs = Number(item, "delayMs", where, 0, 0),
            };
            if (fault == FaultKind.Delay && rule.DelayMs == 0) { throw new FormatException($"{where}: a delay needs delayMs of at least 1."); }
            rules.Add(rule);
        }
        return rules;
    }

    private static string? Text(JsonElement item, string name, string where) =>
        !item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new FormatException($"{where}.{name} must be a string.");

    private static int Number(JsonElement item, string name, string where, int absent, int minimum) =>
        !item.TryGetProperty(name, out var value) ? absent
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= minimum ? n
        : throw new FormatException($"{where}.{name} must be a whole number of at least {minimum}.");
}
