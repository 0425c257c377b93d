package ingest

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
)

// SniffSize is how many bytes at the start of a file are examined to tell
// text from binary content.
const SniffSize = 8 << 10

// signatures are the magic numbers of common binary formats that end up
// in an inbox by mistake, with their names for the error.
var signatures = []struct {
	magic string
	name  string
}{
	{"\x1f\x8b", "gzip-compressed data"},
	{"PK\x03\x04", "a ZIP archive (or an Office document)"},
	{"PK\x05\x06", "a ZIP archive"},
	{"PK\x07\x08", "a ZIP archive"},
	{"%PDF-", "a PDF document"},
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"\xff\xd8\xff", "a JPEG image"},
	{"GIF87a", "a GIF image"},
	{"GIF89a", "a GIF image"},
	{"\xfd7zXZ\x00", "xz-compressed data"},
	{"\x28\xb5\x2f\xfd", "zstd-compressed data"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
	{"\x7fELF", "an executable (ELF)"},
	{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (OLE)"},
}

// checkText returns an error when head, the first bytes of an input,
// is binary rather than text: a known binary format's magic number, NUL
// bytes (other than those of UTF-16 text), or more than one byte in ten a
// control character.
func checkText(head []byte) error {
	head = head[:min(len(head), SniffSize)]
	for _, s := range signatures {
		if bytes.HasPrefix(head, []byte(s.magic)) {
			return fmt.Errorf("binary content: %s, not text", s.name)
		}
	}
	if bytes.HasPrefix(head, []byte("BZh")) && bytes.Contains(head[:min(len(head), 10)], []byte("1AY&SY")) {
		return fmt.Errorf("binary content: bzip2-compressed data, not text")
	}
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}) || bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}) {
		return fmt.Errorf("UTF-32 text is not supported (save it as UTF-8)")
	}
	utf16 := bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF})
	var nul [2]int
	ctrl := 0
	for i, b := range head {
		switch {
		case b == 0:
			nul[i%2]++
		case b < 0x20 && b != '\t' && b != '\n' && b != '\v' && b != '\f' && b != '\r' && b != 0x1b, b == 0x7f:
			ctrl++ // ESC (0x1b) belongs to ISO-2022 text
		}
	}
	if nul[0]+nul[1] > 0 && !utf16 {
		// UTF-16 without a byte order mark has its NULs (the high bytes
		// of Latin letters) all at even or all at odd offsets.
		if nul[0] > 0 && nul[1] > 0 || (nul[0]+nul[1])*4 < len(head) {
			return fmt.Errorf("binary content: NUL bytes, not text")
		}
		utf16 = true
	}
	if !utf16 && ctrl*10 > len(head) {
		return fmt.Errorf("binary content: %d of the first %d bytes are control characters, not text", ctrl, len(head))
	}
	return nil
}

// extensions are the file types ingest reads, as the inbox documents them.
const extensions = ".txt, .md, .html, .htm, .json, .jsonl, .eml"

// checkType returns an error when path's extension is not one ingest reads.
func checkType(path string) error {
	if Supported(path) {
		return nil
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == "" {
		return fmt.Errorf("unsupported file type: no extension (files read: %s)", extensions)
	}
	return fmt.Errorf("unsupported file type %s (files read: %s)", ext, extensions)
}
