namespace Oci.Build.Encryption.KeyWrap.Pkcs7;

/// <summary>
/// A forgiving BER reader: tag, length (definite or indefinite) and content, nothing more. Written by hand because
/// ocicrypt's own PKCS7 output carries malformed AES-GCM parameters that strict DER readers (OpenSSL, .NET) refuse.
/// The input comes from an annotation of someone else's image: it is bounded in size (<see cref="MaxSize"/>), nesting
/// (<see cref="MaxDepth"/>, so deeply nested BER throws a FormatException instead of overflowing the stack, which no
/// handler could catch) and tag size; every violation is a FormatException the callers turn into a coded error.
/// </summary>
public sealed class BerNode
{
    /// <summary>A CMS EnvelopedData for a layer key is a few KiB; the largest certificate chains stay far below this.</summary>
    public const int MaxSize = 1024 * 1024;

    /// <summary>CMS nests about ten levels deep; 32 leaves room for odd encoders and none for an attack on the stack.</summary>
    public const int MaxDepth = 32;

    private BerNode(int tagClass, bool constructed, int tagNumber, byte[] encoded, int contentStart, int contentLength, IReadOnlyList<BerNode>? children,
        int depth)
    {
        Depth = depth;
        TagClass = tagClass;
        Constructed = constructed;
        TagNumber = tagNumber;
        Encoded = encoded;
        ContentStart = contentStart;
        ContentLength = contentLength;
        _children = children;
    }

    private IReadOnlyList<BerNode>? _children;

    public const int Universal = 0, ContextSpecific = 2;
    public const int Integer = 2, OctetString = 4, ObjectIdentifier = 6, Sequence = 16, Set = 17;

    /// <summary>How deep this node sits (the root is 0).</summary>
    public int Depth { get; }

    public int TagClass { get; }
    public bool Constructed { get; }
    public int TagNumber { get; }
    private byte[] Encoded { get; }
    private int ContentStart { get; }
    private int ContentLength { get; }

    public ReadOnlySpan<byte> Content => Encoded.AsSpan(ContentStart, ContentLength);

    public bool Is(int tagClass, int tagNumber) => TagClass == tagClass && TagNumber == tagNumber;

    /// <summary>The nested elements; a primitive node's content is parsed as elements on demand (for malformed wrappers).</summary>
    public IReadOnlyList<BerNode> Children => _children ??= ParseAll(Content.ToArray(), Depth + 1);

    /// <summary>The bytes of an OCTET STRING, joining the segments of a constructed (BER) one.</summary>
    public byte[] OctetBytes() => Constructed ? Children.SelectMany(c => c.OctetBytes()).ToArray() : Content.ToArray();

    public string Oid()
    {
        var content = Content;
        if (content.Length == 0) throw new FormatException("empty object identifier");
        var parts = new List<string> { (Math.Min(content[0] / 40, 2)).ToString(), (content[0] - 40 * Math.Min(content[0] / 40, 2)).ToString() };
        ulong value = 0;
        foreach (var b in content[1..])
        {
            value = (value << 7) | (uint)(b & 0x7F);
            if ((b & 0x80) == 0)
            {
                parts.Add(value.ToString());
                value = 0;
            }
        }
        return string.Join('.', parts);
    }

    public static BerNode Parse(byte[] data)
    {
        if (data.Length > MaxSize) throw new FormatException($"ASN.1 data of {data.Length} bytes is larger than {MaxSize} bytes");
        var offset = 0;
        return Read(data, ref offset, data.Length, 0);
    }

    private static List<BerNode> ParseAll(byte[] data, int depth)
    {
        var nodes = new List<BerNode>();
        var offset = 0;
        while (offset < data.Length)
        {
            if (data[offset] == 0 && offset + 1 < data.Length && data[offset + 1] == 0) break; // end-of-contents
            nodes.Add(Read(data, ref offset, data.Length, depth));
        }
        return nodes;
    }

    private static BerNode Read(byte[] data, ref int offset, int end, int depth)
    {
        if (depth > MaxDepth) throw new FormatException($"ASN.1 data nests more than {MaxDepth} levels deep");
        if (offset >= end) throw new FormatException("truncated ASN.1 data");
        var first = data[offset++];
        var tagClass = first >> 6;
        var constructed = (first & 0x20) != 0;
        var tagNumber = first & 0x1F;
        if (tagNumber == 0x1F)
        {
            tagNumber = 0;
            byte b;
            var tagBytes = 0;
            do
            {
                if (offset >= end) throw new FormatException("truncated ASN.1 tag");
                if (++tagBytes > 4) throw new FormatException("ASN.1 tag number too large");
                b = data[offset++];
                tagNumber = (tagNumber << 7) | (b & 0x7F);
            } while ((b & 0x80) != 0);
        }
        if (offset >= end) throw new FormatException("truncated ASN.1 length");
        var lengthByte = data[offset++];
        if (lengthByte == 0x80)
        {
            // Indefinite length: children until end-of-contents.
            if (!constructed) throw new FormatException("indefinite length on a primitive ASN.1 element");
            var start = offset;
            var children = new List<BerNode>();
            while (true)
            {
                if (offset + 1 >= end) throw new FormatException("missing end-of-contents in ASN.1 data");
                if (data[offset] == 0 && data[offset + 1] == 0)
                {
                    var node = new BerNode(tagClass, constructed, tagNumber, data, start, offset - start, children, depth);
                    offset += 2;
                    return node;
                }
                children.Add(Read(data, ref offset, end, depth + 1));
            }
        }
        int length;
        if (lengthByte < 0x80) length = lengthByte;
        else
        {
            var count = lengthByte & 0x7F;
            if (count > 4 || offset + count > end) throw new FormatException("unsupported ASN.1 length");
            length = 0;
            for (var i = 0; i < count; i++) length = (length << 8) | data[offset++];
        }
        // length > end - offset, not offset + length > end: a declared length near int.MaxValue overflows the sum (found by fuzzing).
        if (length < 0 || length > end - offset) throw new FormatException("ASN.1 length exceeds the data");
        var contentStart = offset;
        offset += length;
        return new BerNode(tagClass, constructed, tagNumber, data, contentStart, length, null, depth);
    }
}
