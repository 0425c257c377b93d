package ingest

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gogs/chardet"
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
	if enc := detectLegacy(data); enc != "" {
		if e, _ := charset.Lookup(enc); e != nil {
			return decodeWith(e.NewDecoder().Bytes(data))
		}
	}
	return mixedUTF8(data), nil
}

// nonLatin are the detected charsets worth trusting over Windows-1252: a
// Latin text read as Windows-1252 is right or nearly so, a text in these
// scripts is unreadable that way.
var nonLatin = map[string]bool{
	"windows-1256": true, "ISO-8859-6": true, "windows-1251": true, "KOI8-R": true, "ISO-8859-5": true,
	"windows-1253": true, "ISO-8859-7": true, "windows-1255": true, "ISO-8859-8": true, "ISO-8859-8-I": true,
	"Shift_JIS": true, "EUC-JP": true, "GB18030": true, "EUC-KR": true, "Big5": true,
}

// detectLegacy names the charset of undeclared text that is mostly not
// UTF-8 (more than one byte in twenty invalid) and is confidently in a
// non-Latin legacy charset, such as Arabic in windows-1256. Otherwise it
// returns "", and invalid bytes read as Windows-1252.
func detectLegacy(b []byte) string {
	if utf8.Valid(b) {
		return ""
	}
	invalid := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			invalid++
		}
		i += size
	}
	if invalid*20 < len(b) {
		return "" // mostly UTF-8 with stray bytes
	}
	res, err := chardet.NewTextDetector().DetectBest(b)
	if err != nil || res.Confidence < 50 || !nonLatin[res.Charset] {
		return ""
	}
	return res.Charset
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
