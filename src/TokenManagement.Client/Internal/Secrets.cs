using System.Runtime.InteropServices;
using System.Security;
using System.Text;

namespace TokenManagement.Client.Internal;

/// <summary>Short-lived plain copies of a SecureString, in char arrays the caller clears.</summary>
internal static class Secrets
{
    /// <summary>The characters of <paramref name="value"/>; clear the array when done.</summary>
    public static char[] ToChars(SecureString value)
    {
        var length = value.Length;
        var chars = new char[length];
        if (length == 0)
        {
            return chars;
        }

        var ptr = IntPtr.Zero;
        try
        {
            ptr = Marshal.SecureStringToGlobalAllocUnicode(value);
            Marshal.Copy(ptr, chars, 0, length);
            return chars;
        }
        finally
        {
            if (ptr != IntPtr.Zero)
            {
                Marshal.ZeroFreeGlobalAllocUnicode(ptr);
            }
        }
    }

    /// <summary>base64("BOOMI_TOKEN.{userId}:{token}"), built from buffers that are cleared afterwards.</summary>
    public static string BasicParameter(string userId, SecureString token)
    {
        var user = "BOOMI_TOKEN." + userId + ":";
        var tokenChars = ToChars(token);
        var all = new char[user.Length + tokenChars.Length];
        byte[]? bytes = null;
        try
        {
            user.CopyTo(0, all, 0, user.Length);
            Array.Copy(tokenChars, 0, all, user.Length, tokenChars.Length);
            bytes = Encoding.UTF8.GetBytes(all);
            return Convert.ToBase64String(bytes);
        }
        finally
        {
            Array.Clear(tokenChars, 0, tokenChars.Length);
            Array.Clear(all, 0, all.Length);
            if (bytes is not null)
            {
                Array.Clear(bytes, 0, bytes.Length);
            }
        }
    }

    /// <summary>The user id without a leading BOOMI_TOKEN. prefix.</summary>
    public static string NormalizeUserId(string? userId)
    {
        const string prefix = "BOOMI_TOKEN.";
        var trimmed = (userId ?? "").Trim();
        return trimmed.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? trimmed.Substring(prefix.Length) : trimmed;
    }

    /// <summary>True when <paramref name="text"/> contains <paramref name="secret"/> (empty secrets never match).</summary>
    public static bool Contains(string? text, ReadOnlySpan<char> secret) =>
        text is not null && secret.Length > 0 && text.AsSpan().IndexOf(secret) >= 0;
}
