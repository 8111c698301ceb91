using System.Security.Cryptography;
using System.Text;

namespace TokenManagement.Server;

internal static class Secrets
{
    /// <summary>A token value: a UUID-formatted string of 122 random bits from the OS's CSPRNG.</summary>
    public static string NewTokenValue()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return Convert.ToHexStringLower(bytes[..4]) + "-" + Convert.ToHexStringLower(bytes[4..6]) + "-"
            + Convert.ToHexStringLower(bytes[6..8]) + "-" + Convert.ToHexStringLower(bytes[8..10]) + "-"
            + Convert.ToHexStringLower(bytes[10..]);
    }

    /// <summary>Values are 122-bit random, so one fast hash is enough: nothing to brute-force.</summary>
    public static byte[] Hash(string tokenValue) => SHA256.HashData(Encoding.UTF8.GetBytes(tokenValue));

    public static string Prefix(string tokenValue) => tokenValue.Length >= 6 ? tokenValue[..6] : tokenValue;

    private const string IdAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    /// <summary>An opaque, stable token id.</summary>
    public static string NewId() => RandomNumberGenerator.GetString(IdAlphabet, 20);
}
