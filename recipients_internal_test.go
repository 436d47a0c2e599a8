package sesguard

import (
	"errors"
	"slices"
	"testing"
)

func TestHeaderRecipients(t *testing.T) {
	c, err := New(nopAPI{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		headers string
		want    []string // canonical, in order
		fields  []field
	}{
		{"plain To", "To: a@example.com", []string{"a@example.com"}, []field{fieldTo}},
		{"To, Cc and Bcc", "To: a@example.com\r\nCc: b@example.com\r\nBcc: c@example.com",
			[]string{"a@example.com", "b@example.com", "c@example.com"}, []field{fieldTo, fieldCc, fieldBcc}},
		{"list with display names", `To: "Smith, A" <A@Example.com>, B <b@example.com>`,
			[]string{"a@example.com", "b@example.com"}, []field{fieldTo, fieldTo}},
		{"repeated header", "To: a@example.com\r\nTo: b@example.com", []string{"a@example.com", "b@example.com"}, []field{fieldTo, fieldTo}},
		{"group", "To: team: a@example.com, b@example.com;", []string{"a@example.com", "b@example.com"}, []field{fieldTo, fieldTo}},
		{"empty group", "To: undisclosed-recipients:;\r\nBcc: a@example.com", []string{"a@example.com"}, []field{fieldBcc}},
		{"encoded display name", "To: =?UTF-8?B?w4lsb2RpZQ==?= <elodie@example.fr>", []string{"elodie@example.fr"}, []field{fieldTo}},
		{"encoded name, unknown charset", "To: =?koi8-r?B?8NLJ18XU?= <ivan@example.ru>", []string{"ivan@example.ru"}, []field{fieldTo}},
		{"folded header", "To: a@example.com,\r\n b@example.com", []string{"a@example.com", "b@example.com"}, []field{fieldTo, fieldTo}},
		{"quoted local part", `To: "john doe"@example.com`, []string{`"john doe"@example.com`}, []field{fieldTo}},
		{"IDN domain", "To: u@bücher.example", []string{"u@xn--bcher-kva.example"}, []field{fieldTo}},
		{"lower-case header names", "to: a@example.com\r\ncc: b@example.com", []string{"a@example.com", "b@example.com"}, []field{fieldTo, fieldCc}},
		{"no recipient headers", "Subject: hi", nil, nil},
		{"Resent-To ignored", "Resent-To: x@example.com\r\nTo: a@example.com", []string{"a@example.com"}, []field{fieldTo}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := c.headerRecipients([]byte("From: s@example.com\r\n" + tc.headers + "\r\n\r\nbody"))
			if err != nil {
				t.Fatalf("headerRecipients: %v", err)
			}
			var got []string
			var fields []field
			for _, r := range rs {
				if r.err != nil {
					t.Errorf("recipient %q: %v", r.addr, r.err)
				}
				got = append(got, r.canon)
				fields = append(fields, r.field)
			}
			if !slices.Equal(got, tc.want) || !slices.Equal(fields, tc.fields) {
				t.Errorf("got %q in %v, want %q in %v", got, fields, tc.want, tc.fields)
			}
		})
	}
}

func TestHeaderRecipientsRefusesUnreadable(t *testing.T) {
	c, err := New(nopAPI{})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{
		"To: <a@example.com\r\n\r\n",
		"To: a@example.com, , @\r\n\r\n",
		"no colon header line\r\n\r\n",
	} {
		if _, err := c.headerRecipients([]byte(raw)); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("headerRecipients(%q) error %v, want ErrInvalidMessage", raw, err)
		}
	}
}

// nopAPI is an SESv2API for tests that never reach SES.
type nopAPI struct{ SESv2API }
