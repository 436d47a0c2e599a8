package sesguard

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard/unsubscribe"
)

// UnsubscribeOptions make the Client add one-click unsubscribe fields
// (RFC 2369 List-Unsubscribe and RFC 8058 List-Unsubscribe-Post) to mail
// sent for a list, as Gmail and Yahoo require of bulk senders:
//
//	List-Unsubscribe: <https://example.com/unsubscribe?t=TOKEN>,
//	 <mailto:unsubscribe@example.com?subject=unsubscribe%20TOKEN>
//	List-Unsubscribe-Post: List-Unsubscribe=One-Click
//
// Each recipient gets a token of its own (see [unsubscribe.Keys]): it
// binds the recipient's canonical address, the list and the time of
// issue, and the address cannot be read from it. [Client.UnsubscribeHandler],
// served at URL, turns the mailbox provider's POST into an UNSUBSCRIBE
// suppression scoped to that list, which blocks the next send for the
// list and never a transactional one.
//
// Which mail gets the fields:
//
//   - mail sent under [ForList] (a send, or each entry of a bulk send);
//   - mail not sent for a list only when List is set (asked for);
//   - never mail whose ListManagementOptions name an SES contact list:
//     SES adds its own fields to it, and a second pair would leave the
//     receiver to pick one;
//   - never a message that already has a List-Unsubscribe field (in the
//     Simple or Template headers, a bulk entry's ReplacementHeaders or
//     the default template's headers, or a raw message's header): the
//     sender's own is kept.
//
// The fields are per recipient, so a message that gets them must have
// exactly one recipient. A SendEmail for a list with several recipients
// (To, Cc and Bcc together, or the headers of a raw message) is refused
// with [ErrInvalidMessage] before anything is looked up or sent, and so
// is a SendBulkEmail with an entry of several: send list mail with one
// recipient per message, or one per bulk entry. Splitting the message
// instead would change what each recipient sees (the other recipients'
// addresses), multiply the calls behind the caller's back and make one
// SendEmail return several message ids, or none when some parts fail.
//
// Fields go into Simple and Template content as SES message headers, into
// each bulk entry as ReplacementHeaders, and into a raw message's header
// block, folded at the comma between the URIs. SES allows 15 custom
// headers per message and 870 characters per value; the fields take two
// headers and, with a mailto, about 300 characters for a short address and
// list.
type UnsubscribeOptions struct {
	// URL is the absolute https URL at which Client.UnsubscribeHandler is
	// served, e.g. "https://example.com/unsubscribe"; each recipient's
	// token is added as the query parameter "t". "" (the default): no
	// fields are added.
	URL string

	// Mailto, when set, is an address that takes unsubscribe requests by
	// mail; List-Unsubscribe then offers a mailto: URI after the HTTPS
	// one, with the token in its subject (verify it with Keys.Parse).
	// "": the HTTPS URI alone, which is all RFC 8058 needs.
	Mailto string

	// Keys sign the tokens; required with URL. Client.UnsubscribeHandler
	// verifies with the same keys.
	Keys *unsubscribe.Keys

	// List asks for the fields on mail sent without ForList: they then
	// unsubscribe from List. Such mail is transactional and stays so — an
	// unsubscribe from List blocks only mail sent under ForList(ctx,
	// List) — so the application must honour the unsubscribe itself (see
	// UnsubscribeHandlerOptions.OnUnsubscribe). "" (the default): mail
	// not sent for a list gets no fields.
	List string
}

// unsubKey is the context key of WithUnsubscribe.
type unsubKey struct{}

// WithUnsubscribe returns a ctx under which sends use o instead of the
// Client's Options.Unsubscribe: another URL or keys for one brand or
// tenant, List to ask for the fields on one transactional send, or the
// zero UnsubscribeOptions to add none.
func WithUnsubscribe(ctx context.Context, o UnsubscribeOptions) context.Context {
	return context.WithValue(ctx, unsubKey{}, o)
}

// unsubscribeOptions returns the options that apply under ctx.
func (c *Client) unsubscribeOptions(ctx context.Context) UnsubscribeOptions {
	if o, ok := ctx.Value(unsubKey{}).(UnsubscribeOptions); ok {
		return o
	}
	return c.opts.Unsubscribe
}

// checkUnsubscribe refuses options that cannot make links.
func checkUnsubscribe(o UnsubscribeOptions) (*unsubscribe.Links, error) {
	if o.URL == "" {
		return nil, nil
	}
	if o.List != "" {
		if err := checkList(o.List); err != nil {
			return nil, err
		}
	}
	return unsubscribe.NewLinks(o.URL, o.Mailto, o.Keys)
}

// listUnsubscribe is the plan for the unsubscribe fields of one send.
// A nil *listUnsubscribe adds nothing.
type listUnsubscribe struct {
	links *unsubscribe.Links
	list  string
	addr  string // the canonical address of the one recipient of a SendEmail
}

// unsubscribeFor decides whether a send under ctx gets unsubscribe
// fields, and for which list. lm is the send's ListManagementOptions.
func (c *Client) unsubscribeFor(ctx context.Context, lm *types.ListManagementOptions) (*listUnsubscribe, error) {
	o := c.unsubscribeOptions(ctx)
	if o.URL == "" || lm != nil && lm.ContactListName != nil && *lm.ContactListName != "" {
		return nil, nil
	}
	list, ok := ListOf(ctx)
	if ok {
		if err := checkList(list); err != nil {
			return nil, err
		}
	} else if list = o.List; list == "" {
		return nil, nil
	}
	links := c.links
	if c.opts.Unsubscribe != o {
		var err error
		if links, err = checkUnsubscribe(o); err != nil {
			return nil, fmt.Errorf("%w: WithUnsubscribe: %w", ErrInvalidMessage, err)
		}
	}
	return &listUnsubscribe{links: links, list: list}, nil
}

// sendUnsubscribe plans the fields of a SendEmail of in, whose
// recipients are rs.
func (c *Client) sendUnsubscribe(ctx context.Context, in *sesv2.SendEmailInput, rs []recipient) (*listUnsubscribe, error) {
	lu, err := c.unsubscribeFor(ctx, in.ListManagementOptions)
	if lu == nil || err != nil {
		return nil, err
	}
	if lu.addr, err = lu.oneRecipient(rs, "the message"); err != nil {
		return nil, err
	}
	return lu, nil
}

// oneRecipient returns the canonical address of the one recipient of rs,
// or ErrInvalidMessage when rs names more than one (or only one that
// cannot be read).
func (lu *listUnsubscribe) oneRecipient(rs []recipient, what string) (string, error) {
	addr, ok := "", len(rs) > 0
	for _, r := range rs {
		if r.err != nil || addr != "" && r.canon != addr {
			ok = false
			break
		}
		addr = r.canon
	}
	if !ok {
		return "", fmt.Errorf("%w: %s for the list %q has %d recipients; list mail carries an unsubscribe link per recipient, so send it to one recipient per message (see UnsubscribeOptions)",
			ErrInvalidMessage, what, lu.list, len(rs))
	}
	return addr, nil
}

// value returns the List-Unsubscribe value for addr.
func (lu *listUnsubscribe) value(c *Client, addr string) (string, error) {
	v, err := lu.links.Value(addr, lu.list, c.now())
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	return v, nil
}

// addTo returns in with the fields added for lu.addr, copying what it
// changes; in itself is not modified.
func (lu *listUnsubscribe) addTo(c *Client, in *sesv2.SendEmailInput) (*sesv2.SendEmailInput, error) {
	if lu == nil || in.Content == nil {
		return in, nil
	}
	content := *in.Content
	switch {
	case content.Simple != nil:
		headers, err := lu.headers(c, lu.addr, content.Simple.Headers)
		if err != nil || headers == nil {
			return in, err
		}
		m := *content.Simple
		m.Headers = headers
		content.Simple = &m
	case content.Template != nil:
		headers, err := lu.headers(c, lu.addr, content.Template.Headers)
		if err != nil || headers == nil {
			return in, err
		}
		t := *content.Template
		t.Headers = headers
		content.Template = &t
	case content.Raw != nil:
		v, err := lu.value(c, lu.addr)
		if err != nil {
			return in, err
		}
		data, inserted, err := unsubscribe.InsertRaw(content.Raw.Data, v)
		if err != nil {
			return in, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
		}
		if !inserted {
			return in, nil
		}
		raw := *content.Raw
		raw.Data = data
		content.Raw = &raw
	default:
		return in, nil
	}
	cp := *in
	cp.Content = &content
	return &cp, nil
}

// headers returns a new slice of have and the fields for addr, or nil
// when have already holds a List-Unsubscribe field.
func (lu *listUnsubscribe) headers(c *Client, addr string, have []types.MessageHeader) ([]types.MessageHeader, error) {
	if slices.ContainsFunc(have, isUnsubscribeHeader) {
		return nil, nil
	}
	hasPost := slices.ContainsFunc(have, func(h types.MessageHeader) bool {
		return strings.EqualFold(strings.TrimSpace(aws.ToString(h.Name)), unsubscribe.HeaderUnsubscribePost)
	})
	v, err := lu.value(c, addr)
	if err != nil {
		return nil, err
	}
	out := make([]types.MessageHeader, len(have), len(have)+2)
	copy(out, have)
	out = append(out, types.MessageHeader{Name: &headerUnsubscribe, Value: &v})
	if !hasPost {
		out = append(out, types.MessageHeader{Name: &headerUnsubscribePost, Value: &oneClick})
	}
	return out, nil
}

// bulkUnsubscribe plans the fields of a bulk send whose entries have the
// recipients per; it refuses an entry of several recipients.
func (c *Client) bulkUnsubscribe(ctx context.Context, in *sesv2.SendBulkEmailInput, per [][]recipient) (*listUnsubscribe, []string, error) {
	lu, err := c.unsubscribeFor(ctx, nil)
	if lu == nil || err != nil {
		return nil, nil, err
	}
	if dc := in.DefaultContent; dc != nil && dc.Template != nil && slices.ContainsFunc(dc.Template.Headers, isUnsubscribeHeader) {
		return nil, nil, nil
	}
	addrs := make([]string, len(per))
	for i, rs := range per {
		if addrs[i], err = lu.oneRecipient(rs, fmt.Sprintf("bulk entry %d", i)); err != nil {
			return nil, nil, err
		}
	}
	return lu, addrs, nil
}

// addToEntry returns e with the fields for addr in its ReplacementHeaders.
func (lu *listUnsubscribe) addToEntry(c *Client, e types.BulkEmailEntry, addr string) (types.BulkEmailEntry, error) {
	if lu == nil {
		return e, nil
	}
	headers, err := lu.headers(c, addr, e.ReplacementHeaders)
	if err != nil || headers == nil {
		return e, err
	}
	e.ReplacementHeaders = headers
	return e, nil
}

// The names and the fixed value of the fields, shared by every message:
// SES only reads them.
var (
	headerUnsubscribe     = unsubscribe.HeaderUnsubscribe
	headerUnsubscribePost = unsubscribe.HeaderUnsubscribePost
	oneClick              = unsubscribe.OneClick
)

func isUnsubscribeHeader(h types.MessageHeader) bool {
	return strings.EqualFold(strings.TrimSpace(aws.ToString(h.Name)), unsubscribe.HeaderUnsubscribe)
}
