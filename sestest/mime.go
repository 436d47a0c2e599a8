package sestest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Header is one header field of a message, in the order it appears.
type Header struct {
	Name  string
	Value string
}

// parsedMessage is what the server reads out of a raw MIME message.
type parsedMessage struct {
	headers        []Header
	from           string
	to, cc, bcc    []string
	subject        string
	date           string
	messageID      string
	text, html     string
	configSet      string
	tags           []messageTag
	hasRecipientsH bool
}

// maxHeaderFields bounds how many header fields a raw message may have.
const maxHeaderFields = 1000

// splitHeader splits a raw message into its unfolded header fields and its
// body. Lines may end in CRLF or LF.
func splitHeader(raw []byte) ([]Header, []byte, error) {
	var headers []Header
	rest := raw
	for {
		if len(rest) == 0 {
			return headers, nil, nil
		}
		i := bytes.IndexByte(rest, '\n')
		var line []byte
		if i < 0 {
			line, rest = rest, nil
		} else {
			line, rest = rest[:i], rest[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return headers, rest, nil
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			return nil, nil, fmt.Errorf("a header line holds a bare carriage return: %q", truncate(string(line), 64))
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(headers) == 0 {
				return nil, nil, fmt.Errorf("the message starts with a continuation line")
			}
			headers[len(headers)-1].Value += " " + strings.TrimSpace(string(line))
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, nil, fmt.Errorf("malformed header line %q", truncate(string(line), 64))
		}
		name := string(line[:colon])
		if !headerNameSyntax.MatchString(name) {
			return nil, nil, fmt.Errorf("malformed header name %q", truncate(name, 64))
		}
		if len(headers) == maxHeaderFields {
			return nil, nil, fmt.Errorf("the message has more than %d header fields", maxHeaderFields)
		}
		headers = append(headers, Header{Name: name, Value: strings.TrimSpace(string(line[colon+1:]))})
	}
}

var wordDecoder = mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	return input, nil
}}

// parseRaw reads a raw MIME message: its headers, the addresses in From,
// To, Cc and Bcc, the subject, and the first text/plain and text/html parts.
func parseRaw(raw []byte) (*parsedMessage, error) {
	headers, body, err := splitHeader(raw)
	if err != nil {
		return nil, err
	}
	if len(headers) == 0 {
		return nil, fmt.Errorf("the message has no header fields")
	}
	p := &parsedMessage{headers: headers}
	var contentType, encoding string
	for _, h := range headers {
		switch strings.ToLower(h.Name) {
		case "from":
			p.from = h.Value
		case "to", "cc", "bcc":
			list, err := mail.ParseAddressList(h.Value)
			if err != nil {
				return nil, fmt.Errorf("header %s: %v", h.Name, err)
			}
			p.hasRecipientsH = true
			for _, a := range list {
				switch strings.ToLower(h.Name) {
				case "to":
					p.to = append(p.to, a.Address)
				case "cc":
					p.cc = append(p.cc, a.Address)
				default:
					p.bcc = append(p.bcc, a.Address)
				}
			}
		case "subject":
			if s, err := wordDecoder.DecodeHeader(h.Value); err == nil {
				p.subject = s
			} else {
				p.subject = h.Value
			}
		case "date":
			p.date = h.Value
		case "message-id":
			p.messageID = h.Value
		case "content-type":
			contentType = h.Value
		case "content-transfer-encoding":
			encoding = h.Value
		case "x-ses-configuration-set":
			p.configSet = h.Value
		case "x-ses-message-tags":
			for _, kv := range strings.Split(h.Value, ",") {
				if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
					p.tags = append(p.tags, messageTag{Name: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
				}
			}
		}
	}
	p.text, p.html = extractText(contentType, encoding, body, 0)
	return p, nil
}

// maxMIMEDepth bounds how deep extractText descends into nested multiparts.
const maxMIMEDepth = 8

// extractText returns the first text/plain and text/html bodies of a MIME
// entity. It is best effort: SES does not validate bodies, so neither does
// this server, and a part it cannot read is skipped.
func extractText(contentType, encoding string, body []byte, depth int) (text, html string) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		mediaType = "text/plain"
	}
	switch {
	case strings.HasPrefix(mediaType, "multipart/") && depth < maxMIMEDepth:
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err != nil {
				return text, html
			}
			data, err := io.ReadAll(io.LimitReader(part, maxRawMessage))
			if err != nil {
				return text, html
			}
			t, h := extractText(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), data, depth+1)
			if text == "" {
				text = t
			}
			if html == "" {
				html = h
			}
		}
	case mediaType == "text/plain":
		return decodeTransfer(encoding, body), ""
	case mediaType == "text/html":
		return "", decodeTransfer(encoding, body)
	}
	return "", ""
}

func decodeTransfer(encoding string, body []byte) string {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, body)
		if out, err := base64.StdEncoding.DecodeString(string(clean)); err == nil {
			return string(out)
		}
	case "quoted-printable":
		if out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err == nil {
			return string(out)
		}
	}
	return string(body)
}

// buildMIME writes the MIME message SES sends for Simple or Template
// content, and returns it with its header fields.
func buildMIME(o *outgoing, boundary string) ([]byte, []Header) {
	var headers []Header
	add := func(name, value string) { headers = append(headers, Header{Name: name, Value: value}) }
	add("From", o.from)
	if len(o.replyTo) > 0 {
		add("Reply-To", strings.Join(o.replyTo, ", "))
	}
	if len(o.to) > 0 {
		add("To", strings.Join(o.to, ", "))
	}
	if len(o.cc) > 0 {
		add("Cc", strings.Join(o.cc, ", "))
	}
	add("Subject", mime.QEncoding.Encode("UTF-8", o.subject))
	add("MIME-Version", "1.0")
	for _, h := range o.customHeaders {
		add(h.Name, h.Value)
	}

	var body bytes.Buffer
	textPart := func(w io.Writer, content string) {
		qp := quotedprintable.NewWriter(w)
		_, _ = qp.Write([]byte(content))
		_ = qp.Close()
	}
	switch {
	case len(o.attachments) > 0 || (o.text != "" && o.html != ""):
		kind := "alternative"
		if len(o.attachments) > 0 {
			kind = "mixed"
		}
		add("Content-Type", fmt.Sprintf("multipart/%s; boundary=%q", kind, boundary))
		mw := multipart.NewWriter(&body)
		_ = mw.SetBoundary(boundary)
		for _, part := range [2]struct{ mediaType, content string }{{"text/plain", o.text}, {"text/html", o.html}} {
			if part.content == "" {
				continue
			}
			w, _ := mw.CreatePart(map[string][]string{
				"Content-Type":              {part.mediaType + "; charset=UTF-8"},
				"Content-Transfer-Encoding": {"quoted-printable"},
			})
			textPart(w, part.content)
		}
		for _, a := range o.attachments {
			ct := a.ContentType
			if ct == "" {
				ct = "application/octet-stream"
			}
			w, _ := mw.CreatePart(map[string][]string{
				"Content-Type":              {ct},
				"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.FileName})},
				"Content-Transfer-Encoding": {"base64"},
			})
			enc := base64.NewEncoder(base64.StdEncoding, w)
			_, _ = enc.Write(a.RawContent)
			_ = enc.Close()
		}
		_ = mw.Close()
	case o.html != "":
		add("Content-Type", "text/html; charset=UTF-8")
		add("Content-Transfer-Encoding", "quoted-printable")
		textPart(&body, o.html)
	default:
		add("Content-Type", "text/plain; charset=UTF-8")
		add("Content-Transfer-Encoding", "quoted-printable")
		textPart(&body, o.text)
	}

	var raw bytes.Buffer
	for _, h := range headers {
		raw.WriteString(h.Name)
		raw.WriteString(": ")
		raw.WriteString(h.Value)
		raw.WriteString("\r\n")
	}
	raw.WriteString("\r\n")
	raw.Write(body.Bytes())
	return raw.Bytes(), headers
}
