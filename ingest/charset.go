package ingest

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// DecodeText converts data to valid UTF-8. In order: a byte order mark
// (UTF-8, UTF-16 LE or BE) wins; else the declared charset (any name the
// WHATWG encoding standard knows, such as windows-1256 or iso-8859-6) is
// used; else valid UTF-8 is taken as is; else every valid UTF-8 sequence
// is kept and each invalid byte is read as Windows-1252, so a stray byte in
// UTF-8 text never garbles the rest and a legacy single-byte file still
// reads right.
func DecodeText(data []byte, declared string) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return mixedUTF8(data[3:]), nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeWith(unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data))
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeWith(unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(data))
	}
	if declared = strings.TrimSpace(declared); declared != "" {
		enc, name := charset.Lookup(declared)
		if enc == nil {
			return "", fmt.Errorf("unknown charset %q", declared)
		}
		if name != "utf-8" {
			return decodeWith(enc.NewDecoder().Bytes(data))
		}
	}
	return mixedUTF8(data), nil
}

func decodeWith(b []byte, err error) (string, error) {
	if err != nil {
		return "", fmt.Errorf("decode: %w", err)
	}
	return mixedUTF8(b), nil
}

// mixedUTF8 keeps valid UTF-8 and reads each invalid byte as Windows-1252.
// NUL bytes are dropped.
func mixedUTF8(b []byte) string {
	if utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	dec := charmap.Windows1252
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			sb.WriteRune(dec.DecodeByte(b[i]))
			i++
			continue
		}
		if r != 0 {
			sb.WriteRune(r)
		}
		i += size
	}
	return sb.String()
}
