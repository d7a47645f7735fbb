using System.Text;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Bundles;

/// <summary>RFC 8785 (JSON Canonicalization Scheme): the RFC's own examples.</summary>
public class CanonicalJsonTests
{
    private static string Canonical(string json) => Encoding.UTF8.GetString(CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Rfc8785_section_3_2_2_example_canonicalizes_numbers_strings_and_literals()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        const string expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        Assert.Equal(expected, Canonical(input));
    }

    [Fact]
    public void Rfc8785_section_3_2_3_example_sorts_member_names_by_utf16_code_units()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;
        var output = Canonical(input);
        var names = new[] { "\\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33" };
        var positions = names.Select(name => output.IndexOf("\"" + name + "\":", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order().ToList(), positions);
        // Ordinal (UTF-16) order puts U+1F600 (a surrogate pair starting 0xD83D) before U+FB33; code-point order would not.
        Assert.True(positions[5] < positions[6]);
    }

    [Fact]
    public void Rfc8785_section_3_2_3_utf8_bytes_of_the_sorted_example()
    {
        // The RFC gives the expected UTF-8 bytes of the values' order; checking the whole output byte for byte.
        var output = CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes("{\"\\u20ac\":1,\"\\r\":2,\"\\ufb33\":3,\"1\":4,\"\\ud83d\\ude00\":5,\"\\u0080\":6,\"\\u00f6\":7}"));
        Assert.Equal("{\"\\r\":2,\"1\":4,\"\u0080\":6,\"ö\":7,\"€\":1,\"😀\":5,\"\ufb33\":3}", Encoding.UTF8.GetString(output));
    }

    // RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript form.
    [Theory]
    [InlineData(0x0000000000000000UL, "0")]
    [InlineData(0x8000000000000000UL, "0")]
    [InlineData(0x0000000000000001UL, "5e-324")]
    [InlineData(0x8000000000000001UL, "-5e-324")]
    [InlineData(0x7fefffffffffffffUL, "1.7976931348623157e+308")]
    [InlineData(0xffefffffffffffffUL, "-1.7976931348623157e+308")]
    [InlineData(0x4340000000000000UL, "9007199254740992")]
    [InlineData(0xc340000000000000UL, "-9007199254740992")]
    [InlineData(0x4430000000000000UL, "295147905179352830000")]
    [InlineData(0x44b52d02c7e14af5UL, "9.999999999999997e+22")]
    [InlineData(0x44b52d02c7e14af6UL, "1e+23")]
    [InlineData(0x44b52d02c7e14af7UL, "1.0000000000000001e+23")]
    [InlineData(0x444b1ae4d6e2ef4eUL, "999999999999999700000")]
    [InlineData(0x444b1ae4d6e2ef4fUL, "999999999999999900000")]
    [InlineData(0x444b1ae4d6e2ef50UL, "1e+21")]
    [InlineData(0x3eb0c6f7a0b5ed8cUL, "9.999999999999997e-7")]
    [InlineData(0x3eb0c6f7a0b5ed8dUL, "0.000001")]
    [InlineData(0x41b3de4355555553UL, "333333333.3333332")]
    [InlineData(0x41b3de4355555554UL, "333333333.33333325")]
    [InlineData(0x41b3de4355555555UL, "333333333.3333333")]
    [InlineData(0x41b3de4355555556UL, "333333333.3333334")]
    [InlineData(0x41b3de4355555557UL, "333333333.33333343")]
    [InlineData(0xbecbf647612f3696UL, "-0.0000033333333333333333")]
    [InlineData(0x43143ff3c1cb0959UL, "1424953923781206.2")]
    public void Rfc8785_appendix_b_numbers_are_formatted_as_ecmascript_does(ulong bits, string expected)
    {
        var value = BitConverter.UInt64BitsToDouble(bits);
        Assert.Equal(expected, CanonicalJson.FormatNumber(value));
        // And through the parser, from the form .NET writes (round-trip "R").
        Assert.Equal(expected, Canonical(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData(0x7fffffffffffffffUL)]
    [InlineData(0x7ff0000000000000UL)]
    public void Rfc8785_appendix_b_nan_and_infinity_are_refused(ulong bits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CanonicalJson.FormatNumber(BitConverter.UInt64BitsToDouble(bits)));

    [Fact]
    public void Numbers_too_large_for_a_double_are_refused_with_a_coded_error() =>
        Assert.Equal(ErrorCodes.InvalidDocument, Assert.Throws<OciException>(() => Canonical("[1e400]")).Code);

    [Fact]
    public void Only_quote_backslash_and_control_characters_are_escaped()
    {
        // System.Text.Json would escape '+', '<', '&' and non-ASCII; JCS writes them literally.
        Assert.Equal("\"a+b<c>&d'é\\u001f\\b\\f\\t\"", Canonical("\"a+b<c>&d'\\u00e9\\u001F\\b\\f\\t\""));
    }

    [Fact]
    public void Duplicate_member_names_and_invalid_json_are_refused()
    {
        Assert.Equal(ErrorCodes.InvalidDocument, Assert.Throws<OciException>(() => Canonical("{\"a\":1,\"a\":2}")).Code);
        Assert.Equal(ErrorCodes.InvalidDocument, Assert.Throws<OciException>(() => Canonical("{\"a\":")).Code);
        Assert.Equal(ErrorCodes.InvalidDocument, Assert.Throws<OciException>(() => Canonical("\"\\ud800\"")).Code);
    }

    [Fact]
    public void Whitespace_is_removed_and_nested_objects_are_sorted_too() =>
        Assert.Equal("{\"a\":[{\"x\":1,\"y\":2}],\"b\":{}}", Canonical(" { \"b\" : { } , \"a\" : [ { \"y\" : 2 , \"x\" : 1 } ] } "));
}
