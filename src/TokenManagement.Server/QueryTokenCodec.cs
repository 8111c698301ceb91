using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TokenManagement.Server;

/// <summary>
/// queryTokens: opaque and tamper-proof (AES-GCM: a filter may hold a leaked token's value, so it is encrypted,
/// not only signed), bound to the caller and expiring. They carry the filter, the keyset position of the last
/// result sent and the total count.
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

    public sealed record State(string Account, string User, string? Filter, long AfterCreated, string AfterId, long Total, long Expires);

    public string Encode(Caller caller, string? filter, TokenRecord last, long total, DateTimeOffset now)
    {
        var state = new State(caller.AccountId, caller.UserKey, filter, last.CreatedDate, last.Id, total, now.Add(_lifetime).ToUnixTimeSeconds());
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(state);
        var sealedToken = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedToken.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedToken.AsSpan(NonceSize, plaintext.Length), sealedToken.AsSpan(NonceSize + plaintext.Length));
        return Base64Url(sealedToken);
    }

    public State Decode(Caller caller, string token, DateTimeOffset now)
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
        var state = JsonSerializer.Deserialize<State>(plaintext) ?? throw invalid;
        if (state.Account != caller.AccountId || state.User != caller.UserKey || state.Expires < now.ToUnixTimeSeconds()) { throw invalid; }
        return state;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }
}
