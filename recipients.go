package sesguard

import (
	"bytes"
	"fmt"
	"net/mail"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// field is where a recipient was named: To, Cc or Bcc.
type field uint8

const (
	fieldTo field = iota
	fieldCc
	fieldBcc
)

// recipient is one address of a message.
type recipient struct {
	addr  string // as the caller wrote it
	canon string // canonical form; "" when err is set
	err   error  // why addr has no canonical form
	field field
}

// recipientsOf returns the recipients of in: those of its Destination, or,
// for a raw message without one, those of its To, Cc and Bcc headers. A
// message with none is refused with ErrNoRecipients.
func (c *Client) recipientsOf(in *sesv2.SendEmailInput) ([]recipient, error) {
	rs := c.destinationRecipients(in.Destination, nil)
	if len(rs) == 0 && in.Content != nil && in.Content.Raw != nil {
		var err error
		if rs, err = c.headerRecipients(in.Content.Raw.Data); err != nil {
			return nil, err
		}
	}
	if len(rs) == 0 {
		return nil, ErrNoRecipients
	}
	return rs, nil
}

func (c *Client) destinationRecipients(d *types.Destination, rs []recipient) []recipient {
	if d == nil {
		return rs
	}
	if n := len(d.ToAddresses) + len(d.CcAddresses) + len(d.BccAddresses); n > 0 && rs == nil {
		rs = make([]recipient, 0, n)
	}
	for f, list := range [...][]string{fieldTo: d.ToAddresses, fieldCc: d.CcAddresses, fieldBcc: d.BccAddresses} {
		for _, a := range list {
			rs = append(rs, c.recipient(a, field(f)))
		}
	}
	return rs
}

func (c *Client) recipient(addr string, f field) recipient {
	canon, err := c.Canonical(addr)
	return recipient{addr: addr, canon: canon, err: err, field: f}
}

// headerRecipients reads the To, Cc and Bcc headers of a raw MIME message,
// every occurrence of each, with address groups and encoded display names.
func (c *Client) headerRecipients(raw []byte) ([]recipient, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: raw message without a Destination has unreadable headers: %v", ErrInvalidMessage, err)
	}
	var rs []recipient
	for f, name := range [...]string{fieldTo: "To", fieldCc: "Cc", fieldBcc: "Bcc"} {
		for _, v := range msg.Header[name] {
			list, err := addressParser.ParseList(v)
			if err != nil {
				return nil, fmt.Errorf("%w: raw message without a Destination has an unreadable %s header %q: %v", ErrInvalidMessage, name, v, err)
			}
			for _, a := range list {
				canon, err := canonicalSpec(a.Address, c.opts.KeepLocalCase)
				rs = append(rs, recipient{addr: a.String(), canon: canon, err: err, field: field(f)})
			}
		}
	}
	return rs, nil
}

// destinationOf returns a Destination naming the recipients of rs that keep
// reports true for, each in the field it came from.
func destinationOf(rs []recipient, keep func(recipient) bool) *types.Destination {
	d := new(types.Destination)
	for _, r := range rs {
		if !keep(r) {
			continue
		}
		switch r.field {
		case fieldTo:
			d.ToAddresses = append(d.ToAddresses, r.addr)
		case fieldCc:
			d.CcAddresses = append(d.CcAddresses, r.addr)
		case fieldBcc:
			d.BccAddresses = append(d.BccAddresses, r.addr)
		}
	}
	return d
}
