package ingest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"github.com/watchfloor/watchfloor/engine"
)

// maxMIMEDepth bounds the nesting of multipart bodies read from one message.
const maxMIMEDepth = 8

// parseEML reads an RFC 5322 message: Subject is the title, the first
// text/plain part the body (text/html when there is no plain part), Date
// the publication time.
func parseEML(name string, data []byte) (engine.Article, error) {
	var a engine.Article
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return a, fmt.Errorf("ingest: %s: read message: %w", name, err)
	}
	dec := mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		s, err := DecodeText(b, cs)
		if err != nil {
			return nil, err
		}
		return strings.NewReader(s), nil
	}}
	subject := msg.Header.Get("Subject")
	if s, err := dec.DecodeHeader(subject); err == nil {
		subject = s
	}
	subject, _ = DecodeText([]byte(subject), "")
	a.Title = strings.Join(strings.Fields(DecodeEntities(subject, maxEntityRounds)), " ")
	if d, err := msg.Header.Date(); err == nil {
		a.Published = d.UTC()
	}
	plain, htmlPart, err := mailText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	if err != nil {
		return a, fmt.Errorf("ingest: %s: %w", name, err)
	}
	switch {
	case plain != nil:
		s, err := DecodeText(plain.data, plain.charset)
		if err != nil {
			s, _ = DecodeText(plain.data, "")
		}
		a.Body = collapseBlankLines(strings.TrimSpace(DecodeEntities(strings.ReplaceAll(s, "\r\n", "\n"), maxEntityRounds)))
	case htmlPart != nil:
		ct := "text/html"
		if htmlPart.charset != "" {
			ct += "; charset=" + htmlPart.charset
		}
		h, err := ParseHTML(name, htmlPart.data, ct, "")
		if err != nil {
			return a, err
		}
		a.Body = h.Body
		if a.Title == "" {
			a.Title = h.Title
		}
	}
	if a.Title == "" && a.Body == "" {
		return a, fmt.Errorf("ingest: %s: %w", name, errEmpty)
	}
	return a, nil
}

// mailPart is the decoded content of one text part.
type mailPart struct {
	data    []byte
	charset string
}

// mailText walks a MIME body and returns its first text/plain and first
// text/html parts, transfer encodings undone.
func mailText(contentType, transfer string, body io.Reader, depth int) (plain, htm *mailPart, err error) {
	mt, params, perr := mime.ParseMediaType(contentType)
	if perr != nil || contentType == "" {
		mt, params = "text/plain", nil
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxMIMEDepth {
			return nil, nil, errors.New("multipart nested too deep")
		}
		if params["boundary"] == "" {
			return nil, nil, errors.New("multipart body without boundary")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if plain != nil || htm != nil {
					break
				}
				return nil, nil, fmt.Errorf("read multipart: %w", err)
			}
			pp, ph, err := mailText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
			if err != nil {
				return nil, nil, err
			}
			if plain == nil {
				plain = pp
			}
			if htm == nil {
				htm = ph
			}
			if plain != nil {
				break
			}
		}
		return plain, htm, nil
	}
	if mt != "text/plain" && mt != "text/html" {
		return nil, nil, nil
	}
	var r io.Reader = io.LimitReader(body, MaxFileSize)
	switch strings.ToLower(strings.TrimSpace(transfer)) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r) // line breaks are skipped
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("decode %s body: %w", transfer, err)
	}
	part := &mailPart{data: data, charset: params["charset"]}
	if mt == "text/html" {
		return nil, part, nil
	}
	return part, nil, nil
}
