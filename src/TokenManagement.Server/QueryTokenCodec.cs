using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TokenManagement.Server;

/// <summary>
/// queryTokens: opaque and tamper-proof (AES-GCM: encrypted as well as authenticated, so that names and other
/// arguments of a filter do not show), bound to the caller and to the object type queried, and expiring. They carry the
/// validated filter (a token value only as its hash, see <see cref="FilterNode"/>), the keyset position of the last
/// result sent (its date and id) and the total.
/// </summary>
public sealed class QueryTokenCodec
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;
    private readonly TimeSpan _lifetime;

    public QueryTokenCodec(byte[] key, TimeSpan lifetime)
    {
        _key = key;
        _lifetime = lifetime;
    }

    public sealed record State(string Account, string User, string? Object, FilterNode? Filter, long AfterDate, string AfterId, long Total, long Expires);

    /// <summary>Deep enough for the deepest filter the translator accepts.</summary>
    private static readonly JsonSerializerOptions StateJson = new()
    {
        MaxDepth = 2 * QueryFilterTranslator.MaxNesting + 16,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public string Encode(Caller caller, QuerySchema schema, FilterNode? filter, (long Date, string Id) last, long total, DateTimeOffset now)
    {
        var state = new State(caller.AccountId, caller.UserKey, schema.ObjectType, filter, last.Date, last.Id, total, now.Add(_lifetime).ToUnixTimeSeconds());
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(state, StateJson);
        var sealedToken = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedToken.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedToken.AsSpan(NonceSize, plaintext.Length), sealedToken.AsSpan(NonceSize + plaintext.Length));
        return Base64Url(sealedToken);
    }

    public State Decode(Caller caller, string token, DateTimeOffset now) => Decode(caller, QuerySchema.ApiToken, token, now);

    /// <summary>The state of a queryToken this caller got from a query of <paramref name="schema"/>'s object type.</summary>
    public State Decode(Caller caller, QuerySchema schema, string token, DateTimeOffset now)
    {
        var invalid = ApiError.InvalidRequest("The queryToken is invalid, expired or belongs to another caller. Run the query again.");
        byte[] sealedToken;
        try { sealedToken = FromBase64Url(token.Trim()); }
        catch (FormatException) { throw invalid; }
        if (sealedToken.Length <= NonceSize + TagSize) { throw invalid; }
        var plaintext = new byte[sealedToken.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedToken.AsSpan(0, NonceSize), sealedToken.AsSpan(NonceSize, plaintext.Length), sealedToken.AsSpan(NonceSize + plaintext.Length), plaintext);
        }
        catch (AuthenticationTagMismatchException) { throw invalid; }
        State? state;
        // A token of an older server version decrypts but no longer reads: as invalid as any other.
        try { state = JsonSerializer.Deserialize<State>(plaintext, StateJson); }
        catch (JsonException) { throw invalid; }
        if (state is null) { throw invalid; }
        // Another object's token would apply its filter to the wrong table: as invalid as an altered one.
        if (state.Account != caller.AccountId || state.User != caller.UserKey || state.Object != schema.ObjectType || state.Expires < now.ToUnixTimeSeconds())
        {
            throw invalid;
        }
        return state;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }
}
