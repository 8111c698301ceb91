using System.Runtime.InteropServices;
using System.Security;

namespace TokenManagement.Infrastructure;

internal static class SecureStrings
{
    /// <summary>The value as a managed string: only for -AsPlainText and the contract's token query.</summary>
    public static string ToPlainText(SecureString value) => Read(value, value.Length);

    /// <summary>The first characters only (a token's prefix is not secret).</summary>
    public static string Prefix(SecureString value, int length) => Read(value, Math.Min(length, value.Length));

    public static SecureString FromPlainText(string value)
    {
        var secure = new SecureString();
        foreach (char c in value)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }

    private static string Read(SecureString value, int length)
    {
        if (length <= 0)
        {
            return "";
        }

        IntPtr buffer = Marshal.SecureStringToGlobalAllocUnicode(value);
        try
        {
            return Marshal.PtrToStringUni(buffer, length);
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(buffer);
        }
    }
}
