using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Oci.Build.Oci;

/// <summary>
/// The JSON Canonicalization Scheme (RFC 8785, JCS), as cnab-go writes bundle.json: object members sorted by the UTF-16 code
/// units of their names, no whitespace, strings escaped minimally (only <c>"</c>, <c>\</c> and control characters; everything
/// else literal UTF-8) and numbers in ECMAScript's Number.prototype.toString form.
/// Hand-written because System.Text.Json cannot be configured to do it: its encoders always escape some printable characters
/// (<c>+</c>, <c>&lt;</c>, non-ASCII), control characters as <c>\u000A</c> rather than <c>\n</c>, and it writes <c>1E+21</c>.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Deep JSON nesting is refused rather than recursed into: canonical documents here are a few levels deep.</summary>
    private const int MaxDepth = 64;

    /// <summary>The canonical form of any JSON text (duplicate member names are refused, as RFC 8785 requires).</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException ex)
        {
            throw new OciException(ErrorCodes.InvalidDocument, $"Cannot canonicalize: the input is not valid JSON ({ex.Message}).", ex);
        }
        using (document)
        {
            return Canonicalize(document.RootElement);
        }
    }

    public static byte[] Canonicalize(JsonElement element)
    {
        var output = new MemoryStream();
        try
        {
            Write(element, output);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json refuses escaped lone surrogates (\ud800) only when the string is read.
            throw new OciException(ErrorCodes.InvalidDocument, $"Cannot canonicalize: {ex.Message}", ex);
        }
        return output.ToArray();
    }

    /// <summary>Serializes <paramref name="value"/> with System.Text.Json (for its names and shape), then canonicalizes.</summary>
    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        using var document = JsonSerializer.SerializeToDocument(value, typeInfo);
        return Canonicalize(document.RootElement);
    }

    private static void Write(JsonElement element, Stream output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                output.WriteByte((byte)'{');
                var members = element.EnumerateObject().ToList();
                // string.CompareOrdinal compares UTF-16 code units, which is exactly the order RFC 8785 section 3.2.3 asks for.
                members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0 && members[i].Name == members[i - 1].Name)
                        throw new OciException(ErrorCodes.InvalidDocument, $"Cannot canonicalize: the member name '{members[i].Name}' appears twice in one object.");
                    if (i > 0) output.WriteByte((byte)',');
                    WriteString(members[i].Name, output);
                    output.WriteByte((byte)':');
                    Write(members[i].Value, output);
                }
                output.WriteByte((byte)'}');
                break;
            case JsonValueKind.Array:
                output.WriteByte((byte)'[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first) output.WriteByte((byte)',');
                    first = false;
                    Write(item, output);
                }
                output.WriteByte((byte)']');
                break;
            case JsonValueKind.String:
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                if (!element.TryGetDouble(out var number) || !double.IsFinite(number))
                    throw new OciException(ErrorCodes.InvalidDocument, $"Cannot canonicalize the number {element.GetRawText()}: it is not a finite IEEE 754 double.");
                WriteAscii(FormatNumber(number), output);
                break;
            case JsonValueKind.True:
                WriteAscii("true", output);
                break;
            case JsonValueKind.False:
                WriteAscii("false", output);
                break;
            case JsonValueKind.Null:
                WriteAscii("null", output);
                break;
            default:
                throw new OciException(ErrorCodes.InvalidDocument, $"Cannot canonicalize a JSON {element.ValueKind}.");
        }
    }

    /// <summary>RFC 8785 section 3.2.2.2: escape only what JSON requires, with the short forms where JSON has them.</summary>
    internal static string EscapeString(string value)
    {
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < 0x20) builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else builder.Append(c);
                    break;
            }
        }
        builder.Append('"');
        return builder.ToString();
    }

    private static void WriteString(string value, Stream output)
    {
        // Lone surrogates cannot be written as UTF-8; RFC 8785 requires rejecting them rather than replacing them.
        var encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        try
        {
            output.Write(encoding.GetBytes(EscapeString(value)));
        }
        catch (EncoderFallbackException ex)
        {
            throw new OciException(ErrorCodes.InvalidDocument, "Cannot canonicalize a string with an unpaired UTF-16 surrogate.", ex);
        }
    }

    private static void WriteAscii(string text, Stream output) => output.Write(Encoding.ASCII.GetBytes(text));

    /// <summary>
    /// ECMAScript Number.prototype.toString (ECMA-262 7.1.12.1) of a finite double. .NET's "R" format gives the shortest digits
    /// that round-trip, the same digits ECMAScript uses; only their layout (where the point goes, when to use an exponent)
    /// differs, so the digits and exponent are taken from it and laid out by ECMAScript's rules.
    /// </summary>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), "NaN and infinities have no JSON form.");
        if (value == 0) return "0"; // also -0, as ECMAScript prints it
        var negative = value < 0;
        var (digits, exponent) = ShortestDigits(Math.Abs(value));
        // ECMAScript's n: the value is 0.digits * 10^n, k = number of digits.
        var k = digits.Length;
        var n = exponent + 1;
        string text;
        if (k <= n && n <= 21)
            text = digits + new string('0', n - k);
        else if (0 < n && n <= 21)
            text = digits[..n] + "." + digits[n..];
        else if (-6 < n && n <= 0)
            text = "0." + new string('0', -n) + digits;
        else
        {
            var e = n - 1;
            var sign = e < 0 ? "-" : "+";
            var mantissa = k == 1 ? digits : digits[..1] + "." + digits[1..];
            text = mantissa + "e" + sign + Math.Abs(e).ToString(CultureInfo.InvariantCulture);
        }
        return negative ? "-" + text : text;
    }

    /// <summary>The shortest round-trip decimal digits (no leading or trailing zeros) and the decimal exponent of the first one.</summary>
    private static (string Digits, int Exponent) ShortestDigits(double positive)
    {
        // "E16" would not be shortest; "R" is (since .NET Core 3.0). It is either plain ("123.45") or scientific ("1.2345E+21").
        var r = positive.ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var ePosition = r.IndexOf('E');
        if (ePosition >= 0)
        {
            exponent = int.Parse(r[(ePosition + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..ePosition];
        }
        var point = r.IndexOf('.');
        var integerPart = point >= 0 ? r[..point] : r;
        var fraction = point >= 0 ? r[(point + 1)..] : "";
        var all = integerPart + fraction;
        // The first digit's exponent, before stripping leading zeros ("0.00123" -> 1.23e-3).
        var firstDigitExponent = exponent + integerPart.Length - 1;
        var leadingZeros = all.Length - all.TrimStart('0').Length;
        all = all.TrimStart('0').TrimEnd('0');
        return (all, firstDigitExponent - leadingZeros);
    }
}
