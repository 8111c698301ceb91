using System.Management.Automation;
using System.Text;

namespace TokenManagement.Infrastructure;

/// <summary>
/// The one place that states how the module treats token names (and user ids, which the service compares the same
/// way). The service decides equality: it compares names after lowercasing each character with the invariant culture
/// (docs/api.md). The module never compares a literal itself: it sends it as EQUALS. A wildcard pattern (PowerShell's
/// <see cref="WildcardPattern"/>: * ? [a-z] and ` escapes) is narrowed by the service with a LIKE that matches at
/// least as much, and confirmed here by the same fold.
/// </summary>
internal static class ApiTokenNames
{
    public const int MaxLength = 100;

    /// <summary>Null when the name is valid, otherwise what is wrong with it (the contract's rule: 1 to 100 characters, no control characters).</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "A token name cannot be empty.";
        }

        if (name!.Length > MaxLength)
        {
            return $"A token name has at most {MaxLength} characters; this one has {name.Length}.";
        }

        foreach (char c in name)
        {
            if (char.IsControl(c))
            {
                return "A token name cannot contain control characters (tabs, line breaks, ...).";
            }
        }

        return null;
    }

    /// <summary>
    /// The service's comparison key (docs/api.md, Names): key(s) = NFKC(fold(dropIgnorables(NFKD(s)))), where fold is
    /// the invariant simple lowercase of each code point followed by the few full case foldings it misses. So
    /// straße = STRASSE, ＡＢＣ = abc and Kelvin (with U+212A) = kelvin. Used only to confirm what the service
    /// narrowed, and to say which literal found nothing; the service's own answer is the one that counts.
    /// </summary>
    public static string Fold(string? value)
    {
        value ??= "";
        if (value.All(c => c < 0x80))
        {
            return value.ToLowerInvariant(); // every other step is the identity on ASCII
        }

        string decomposed;
        try
        {
            decomposed = value.Normalize(NormalizationForm.FormKD);
        }
        catch (ArgumentException)
        {
            decomposed = value; // not well-formed UTF-16 (a lone surrogate): the service refuses such names anyway
        }

        var folded = new StringBuilder(decomposed.Length);
        for (int i = 0; i < decomposed.Length; i++)
        {
            int codePoint = char.IsHighSurrogate(decomposed[i]) && i + 1 < decomposed.Length && char.IsLowSurrogate(decomposed[i + 1])
                ? char.ConvertToUtf32(decomposed[i], decomposed[++i])
                : decomposed[i];
            if (IsDefaultIgnorable(codePoint))
            {
                continue;
            }

            string lower = codePoint < 0x10000 ? char.ToLowerInvariant((char)codePoint).ToString() : char.ConvertFromUtf32(codePoint).ToLowerInvariant();
            int lowered = char.ConvertToUtf32(lower, 0);
            folded.Append(s_foldingsBeyondLowercase.TryGetValue(lowered, out string? fold) ? fold : lower);
        }

        try
        {
            return folded.ToString().Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return folded.ToString();
        }
    }

    /// <summary>Full case foldings that NFKD and simple lowercasing miss (docs/api.md, Names, step 3).</summary>
    private static readonly Dictionary<int, string> s_foldingsBeyondLowercase = new()
    {
        [0x00DF] = "ss",
        [0x03C2] = "\u03C3",
        [0x0345] = "\u03B9",
        [0x1C80] = "\u0432",
        [0x1C81] = "\u0434",
        [0x1C82] = "\u043E",
        [0x1C83] = "\u0441",
        [0x1C84] = "\u0442",
        [0x1C85] = "\u0442",
        [0x1C86] = "\u044A",
        [0x1C87] = "\u0463",
        [0x1C88] = "\uA64B",
    };

    /// <summary>Default_Ignorable_Code_Point, as docs/api.md lists it: rendered as nothing, so not part of a name's key.</summary>
    private static bool IsDefaultIgnorable(int c) =>
        c is 0x00AD or 0x034F or 0x061C or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or (>= 0x180B and <= 0x180F)
            or (>= 0x200B and <= 0x200F) or (>= 0x202A and <= 0x202E) or (>= 0x2060 and <= 0x206F) or 0x3164
            or (>= 0xFE00 and <= 0xFE0F) or 0xFEFF or 0xFFA0 or (>= 0xFFF0 and <= 0xFFF8) or (>= 0x1BCA0 and <= 0x1BCA3)
            or (>= 0x1D173 and <= 0x1D17A) or (>= 0xE0000 and <= 0xE0FFF);

    /// <summary>Whether two names are the same name to the service.</summary>
    public static bool AreEqual(string? a, string? b) => string.Equals(Fold(a), Fold(b), StringComparison.Ordinal);

    /// <summary>The comparer of <see cref="AreEqual"/>, for sets of names.</summary>
    public static StringComparer Comparer { get; } = new FoldComparer();

    public static bool IsPattern(string value) => WildcardPattern.ContainsWildcardCharacters(value);

    /// <summary>A value as the literal it stands for: a pattern's escapes removed (x`[1`] is the name x[1]).</summary>
    public static string Literal(string value) => WildcardPattern.Unescape(value);

    /// <summary>
    /// Whether a name (or user id) matches a -Name value: a literal by the key; a pattern as the service matches LIKE,
    /// each literal run keyed on its own and the wildcards kept, against the key of the name.
    /// </summary>
    public static bool Matches(string patternOrLiteral, string? value)
    {
        if (!IsPattern(patternOrLiteral))
        {
            return AreEqual(Literal(patternOrLiteral), value);
        }

        var keyed = new StringBuilder();
        foreach (Segment segment in Parse(patternOrLiteral))
        {
            keyed.Append(segment.Kind switch
            {
                SegmentKind.Literal => WildcardPattern.Escape(Fold(segment.Text)),
                SegmentKind.Range => "[" + Fold(segment.Text) + "]",
                _ => segment.Text,
            });
        }

        return new WildcardPattern(keyed.ToString(), WildcardOptions.None).IsMatch(Fold(value));
    }

    /// <summary>
    /// A LIKE argument that matches every name the pattern matches: * is %, ? is _, a literal % _ or \ is escaped
    /// with \ (docs/api.md), and a [..] range, which LIKE cannot say, is _ (then confirmed with <see cref="Matches"/>).
    /// </summary>
    public static string ToLike(string pattern)
    {
        var like = new StringBuilder(pattern.Length);
        foreach (Segment segment in Parse(pattern))
        {
            like.Append(segment.Kind switch
            {
                SegmentKind.Literal => segment.Text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_"),
                SegmentKind.AnyRun => "%",
                _ => "_",
            });
        }

        return like.ToString();
    }

    /// <summary>Whether <see cref="ToLike"/> matches exactly what the pattern matches (it has no [..] range).</summary>
    public static bool IsExactAsLike(string pattern) => Parse(pattern).All(s => s.Kind != SegmentKind.Range);

    private enum SegmentKind
    {
        Literal,
        AnyRun,
        AnyOne,
        Range,
    }

    private readonly struct Segment
    {
        public Segment(SegmentKind kind, string text)
        {
            Kind = kind;
            Text = text;
        }

        public SegmentKind Kind { get; }

        /// <summary>The literal text (escapes removed), the range's inside, or the wildcard itself.</summary>
        public string Text { get; }
    }

    /// <summary>A WildcardPattern split into literal runs and wildcards: * ? [..] and ` escapes.</summary>
    private static List<Segment> Parse(string pattern)
    {
        var segments = new List<Segment>();
        var literal = new StringBuilder();
        void EndLiteral()
        {
            if (literal.Length > 0)
            {
                segments.Add(new Segment(SegmentKind.Literal, literal.ToString()));
                literal.Clear();
            }
        }

        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            int close;
            if (c == '`' && i + 1 < pattern.Length)
            {
                literal.Append(pattern[++i]);
            }
            else if (c is '*' or '?')
            {
                EndLiteral();
                segments.Add(new Segment(c == '*' ? SegmentKind.AnyRun : SegmentKind.AnyOne, c.ToString()));
            }
            else if (c == '[' && (close = pattern.IndexOf(']', i + 1)) > i)
            {
                EndLiteral();
                segments.Add(new Segment(SegmentKind.Range, pattern.Substring(i + 1, close - i - 1)));
                i = close;
            }
            else
            {
                literal.Append(c);
            }
        }

        EndLiteral();
        return segments;
    }

    private sealed class FoldComparer : StringComparer
    {
        public override int Compare(string? x, string? y) => string.CompareOrdinal(Fold(x), Fold(y));

        public override bool Equals(string? x, string? y) => AreEqual(x, y);

        public override int GetHashCode(string obj) => StringComparer.Ordinal.GetHashCode(Fold(obj));
    }
}
