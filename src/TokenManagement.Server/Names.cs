using System.Globalization;
using System.Text;

namespace TokenManagement.Server;

/// <summary>
/// The one Unicode policy for token names (docs/api.md, Names), also the comparison of user ids: what a name may
/// hold, the form it is stored in (NFC), and the key by which two names are the same name. Clients that confirm
/// wildcard matches compute <see cref="Key"/> exactly as written here, so every step is a plain, stated one.
/// </summary>
public static class Names
{
    /// <summary>UTF-16 code units of the stored (NFC) form.</summary>
    public const int MaxLength = 100;

    /// <summary>Recorded in the database with the keys it made; a different rule re-keys the database at start.</summary>
    public const string KeyRule = "nfkd-ignorables-lower-fold-nfkc-1";

    /// <summary>
    /// Full case foldings (Unicode CaseFolding.txt, status C and F) that differ from what NFKD followed by simple
    /// lowercasing already gives, keyed by the lowercase form. With NFKD first, these are all of them.
    /// </summary>
    internal static readonly IReadOnlyDictionary<int, string> FoldingsBeyondLowercase = new Dictionary<int, string>
    {
        [0x00DF] = "ss",     // ß (and ẞ U+1E9E, which lowercases to it)
        [0x03C2] = "\u03C3", // ς final sigma -> σ (and ϲ U+03F2, which NFKD makes ς)
        [0x0345] = "\u03B9", // combining ypogegrammeni -> ι (the iota subscript of ᾳ, ῃ, ῳ ... after NFKD)
        [0x1C80] = "\u0432", // Cyrillic rounded ve -> в
        [0x1C81] = "\u0434", // long-legged de -> д
        [0x1C82] = "\u043E", // narrow o -> о
        [0x1C83] = "\u0441", // wide es -> с
        [0x1C84] = "\u0442", // tall te -> т
        [0x1C85] = "\u0442", // three-legged te -> т
        [0x1C86] = "\u044A", // tall hard sign -> ъ
        [0x1C87] = "\u0463", // tall yat -> ѣ
        [0x1C88] = "\uA64B", // unblended uk -> ꙋ
    };

    /// <summary>
    /// The comparison key: NFKD; drop default-ignorable code points; per code point, simple lowercase (invariant)
    /// then <see cref="FoldingsBeyondLowercase"/>; NFKC. So café (NFC) = café (NFD), ＡＢＣ = abc, ﬁx = fix,
    /// straße = STRASSE, ci​pipeline (with U+200B) = cipipeline.
    /// </summary>
    public static string Key(string value)
    {
        if (Ascii.IsValid(value)) { return value.ToLowerInvariant(); } // every step is the identity on ASCII but this one
        var decomposed = WellFormed(value).Normalize(NormalizationForm.FormKD);
        var folded = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (IsDefaultIgnorable(rune.Value)) { continue; }
            var lower = Rune.ToLowerInvariant(rune);
            if (FoldingsBeyondLowercase.TryGetValue(lower.Value, out var fold)) { folded.Append(fold); }
            else { folded.Append(lower.ToString()); }
        }
        return folded.ToString().Normalize(NormalizationForm.FormKC);
    }

    /// <summary>
    /// A name as the service stores it (NFC), or a 400 saying what is wrong: empty, too long, only invisible
    /// characters, whitespace at either end, or a character a name must not hold.
    /// </summary>
    public static string Validate(string name, string field = "name")
    {
        if (!IsWellFormed(name)) { throw ApiError.InvalidRequest($"{field} is not valid Unicode (it holds a lone surrogate)."); }
        var stored = name.Normalize(NormalizationForm.FormC);
        if (stored.Length == 0) { throw ApiError.InvalidRequest($"{field} must not be empty."); }
        if (stored.Length > MaxLength)
        {
            throw ApiError.InvalidRequest($"{field} must be at most {MaxLength} characters (UTF-16 code units, after NFC); {stored.Length} given.");
        }
        var visible = false;
        var position = 0;
        foreach (var rune in stored.EnumerateRunes())
        {
            position++;
            if (Rejected(rune) is { } why)
            {
                throw ApiError.InvalidRequest($"{field} must not contain {why} (U+{rune.Value:X4} at character {position}).");
            }
            visible |= !IsInvisible(rune);
        }
        if (!visible) { throw ApiError.InvalidRequest($"{field} must contain a visible character, not only whitespace or invisible characters."); }
        if (Rune.IsWhiteSpace(stored.EnumerateRunes().First()) || Rune.IsWhiteSpace(Rune.GetRuneAt(stored, LastRuneStart(stored))))
        {
            throw ApiError.InvalidRequest($"{field} must not begin or end with whitespace.");
        }
        return stored;
    }

    /// <summary>Why a name must not hold this character, or null if it may.</summary>
    private static string? Rejected(Rune rune)
    {
        if (IsBidiControl(rune.Value)) { return "bidirectional control characters"; }
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control => "control characters",
            UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => "line or paragraph separators",
            UnicodeCategory.OtherNotAssigned => "unassigned code points or noncharacters",
            _ => null,
        };
    }

    /// <summary>Shows nothing: whitespace, format characters (Cf) and default-ignorable code points.</summary>
    private static bool IsInvisible(Rune rune) =>
        Rune.IsWhiteSpace(rune) || Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format || IsDefaultIgnorable(rune.Value);

    /// <summary>Bidi_Control: the marks, embeddings, overrides and isolates that reorder how text displays.</summary>
    internal static bool IsBidiControl(int c) => c is 0x061C or 0x200E or 0x200F or (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069);

    /// <summary>Default_Ignorable_Code_Point (Unicode DerivedCoreProperties): rendered as nothing.</summary>
    internal static bool IsDefaultIgnorable(int c) =>
        c is 0x00AD or 0x034F or 0x061C or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or (>= 0x180B and <= 0x180F)
            or (>= 0x200B and <= 0x200F) or (>= 0x202A and <= 0x202E) or (>= 0x2060 and <= 0x206F) or 0x3164
            or (>= 0xFE00 and <= 0xFE0F) or 0xFEFF or 0xFFA0 or (>= 0xFFF0 and <= 0xFFF8) or (>= 0x1BCA0 and <= 0x1BCA3)
            or (>= 0x1D173 and <= 0x1D17A) or (>= 0xE0000 and <= 0xE0FFF);

    /// <summary>
    /// Fails fast where normalization is not available: with InvariantGlobalization (or without ICU) .NET leaves
    /// non-ASCII text unnormalized, and every key would silently be wrong.
    /// </summary>
    public static void EnsureUnicodeSupport()
    {
        if ("e\u0301".Normalize(NormalizationForm.FormC) != "\u00E9" || "\uFF21".Normalize(NormalizationForm.FormKC) != "A")
        {
            throw new InvalidOperationException(
                "Unicode normalization does not work in this process (InvariantGlobalization is on, or ICU is missing). "
                + "The token service needs it for names: run it with InvariantGlobalization=false and libicu installed.");
        }
    }

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { i++; }
            else if (char.IsSurrogate(value[i])) { return false; }
        }
        return true;
    }

    /// <summary>Lone surrogates (which only a command line can bring) as U+FFFD, so that a key never throws.</summary>
    private static string WellFormed(string value)
    {
        if (IsWellFormed(value)) { return value; }
        var chars = value.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; }
            else if (char.IsSurrogate(chars[i])) { chars[i] = '\uFFFD'; }
        }
        return new string(chars);
    }

    private static int LastRuneStart(string value) => value.Length >= 2 && char.IsLowSurrogate(value[^1]) ? value.Length - 2 : value.Length - 1;
}
