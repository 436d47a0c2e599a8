package sestest

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
)

// The SES v2 request bodies, as the SDK serialises them. Unknown members
// are ignored, as a newer SDK may send fields this server does not know.

type sendEmailRequest struct {
	FromEmailAddress      *string                `json:"FromEmailAddress"`
	Destination           *destination           `json:"Destination"`
	ReplyToAddresses      []string               `json:"ReplyToAddresses"`
	Content               *emailContent          `json:"Content"`
	EmailTags             []messageTag           `json:"EmailTags"`
	ConfigurationSetName  *string                `json:"ConfigurationSetName"`
	ListManagementOptions *listManagementOptions `json:"ListManagementOptions"`
}

type destination struct {
	ToAddresses  []string `json:"ToAddresses"`
	CcAddresses  []string `json:"CcAddresses"`
	BccAddresses []string `json:"BccAddresses"`
}

type emailContent struct {
	Simple   *simpleMessage   `json:"Simple"`
	Raw      *rawMessage      `json:"Raw"`
	Template *templateMessage `json:"Template"`
}

type simpleMessage struct {
	Subject     *textContent   `json:"Subject"`
	Body        *messageBody   `json:"Body"`
	Headers     []messageField `json:"Headers"`
	Attachments []attachment   `json:"Attachments"`
}

type textContent struct {
	Data    *string `json:"Data"`
	Charset *string `json:"Charset"`
}

type messageBody struct {
	Text *textContent `json:"Text"`
	HTML *textContent `json:"Html"`
}

type messageField struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type attachment struct {
	FileName    string `json:"FileName"`
	RawContent  []byte `json:"RawContent"`
	ContentType string `json:"ContentType"`
}

type rawMessage struct {
	Data []byte `json:"Data"`
}

type templateMessage struct {
	TemplateName    *string               `json:"TemplateName"`
	TemplateArn     *string               `json:"TemplateArn"`
	TemplateData    *string               `json:"TemplateData"`
	TemplateContent *templateInlineFields `json:"TemplateContent"`
	Headers         []messageField        `json:"Headers"`
	Attachments     []attachment          `json:"Attachments"`
}

type templateInlineFields struct {
	Subject *string `json:"Subject"`
	Text    *string `json:"Text"`
	HTML    *string `json:"Html"`
}

type messageTag = messageField

type listManagementOptions struct {
	ContactListName string `json:"ContactListName"`
	TopicName       string `json:"TopicName"`
}

// decodeJSON decodes body into v, or answers BadRequestException saying
// what is wrong with it.
func decodeJSON(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("the request body is empty; expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return badRequest("could not parse the request body: member %s: %v", te.Field, err)
		}
		return badRequest("could not parse the request body as JSON: %v", err)
	}
	if dec.More() {
		return badRequest("could not parse the request body: unexpected data after the JSON object")
	}
	return nil
}

// maxRecipients is SES's limit on recipients per message.
const maxRecipients = 50

// maxCustomHeaders is SES's limit on Simple and Template Headers.
const maxCustomHeaders = 15

// parseRecipients parses a destination's addresses, keeping the order To,
// Cc, Bcc, and checks the count.
func parseRecipients(to, cc, bcc []string) (recipients [3][]string, all []string, err *apiError) {
	for i, list := range [3][]string{to, cc, bcc} {
		for _, s := range list {
			addr, perr := parseAddress(s)
			if perr != nil {
				return recipients, nil, badRequest("%v", perr)
			}
			recipients[i] = append(recipients[i], s)
			all = append(all, addr)
		}
	}
	switch {
	case len(all) == 0:
		return recipients, nil, badRequest("the message has no recipients: Destination needs at least one of ToAddresses, CcAddresses, BccAddresses")
	case len(all) > maxRecipients:
		return recipients, nil, badRequest("the message has %d recipients; the limit is %d", len(all), maxRecipients)
	}
	return recipients, all, nil
}

var (
	tagNamePattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	tagValuePattern  = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,256}$`)
	headerNameSyntax = regexp.MustCompile("^[!-9;-~]{1,126}$")
)

// checkTags validates message tags as SES does: names and values of ASCII
// letters, digits, '_' and '-' (values also '.' and '@'), at most 256
// characters, so no name can enter SES's reserved "ses:" namespace.
func checkTags(tags []messageTag) *apiError {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if !tagNamePattern.MatchString(t.Name) {
			return badRequest("invalid message tag name %q: use 1 to 256 ASCII letters, digits, '_' or '-'", truncate(t.Name, 64))
		}
		if !tagValuePattern.MatchString(t.Value) {
			return badRequest("invalid value %q for message tag %s: use 1 to 256 ASCII letters, digits, '_', '-', '.' or '@'", truncate(t.Value, 64), t.Name)
		}
		if seen[t.Name] {
			return badRequest("message tag %s is given twice", t.Name)
		}
		seen[t.Name] = true
	}
	return nil
}

// checkHeaders validates custom headers of Simple and Template content.
func checkHeaders(headers []messageField) *apiError {
	if len(headers) > maxCustomHeaders {
		return badRequest("the message has %d custom headers; the limit is %d", len(headers), maxCustomHeaders)
	}
	for _, h := range headers {
		if !headerNameSyntax.MatchString(h.Name) {
			return badRequest("invalid header name %q", truncate(h.Name, 64))
		}
		if strings.ContainsAny(h.Value, "\r\n") {
			return badRequest("header %s: the value may not contain line breaks", h.Name)
		}
	}
	return nil
}

func requireString(p *string, what string) (string, *apiError) {
	if p == nil || *p == "" {
		return "", badRequest("missing required member %s", what)
	}
	return *p, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
