package unsubscribe_test

import (
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/sesguard/sesguard/unsubscribe"
)

// Rotating keys: the new key signs, the old one still verifies links in
// mail sent before the rotation.
func ExampleNewKeys() {
	old := unsubscribe.Key{ID: "2025-06", Secret: []byte("an old secret of 32 octets or more")}
	cur := unsubscribe.Key{ID: "2026-11", Secret: []byte("a new secret, just as long and random")}

	before, err := unsubscribe.NewKeys(old)
	if err != nil {
		log.Fatal(err)
	}
	oldLink, _ := before.Issue("bob@example.com", "weekly-news", time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC))

	keys, err := unsubscribe.NewKeys(cur, old)
	if err != nil {
		log.Fatal(err)
	}
	t, err := keys.Parse(oldLink)
	fmt.Println(t.Address, t.List, t.IssuedAt.Format(time.DateOnly), t.KeyID, err)

	forged := strings.Replace(oldLink, oldLink[len(oldLink)/2:len(oldLink)/2+1], "A", 1)
	if forged == oldLink {
		forged = strings.Replace(oldLink, oldLink[len(oldLink)/2:len(oldLink)/2+1], "B", 1)
	}
	_, err = keys.Parse(forged)
	fmt.Println(err != nil)
	// Output:
	// bob@example.com weekly-news 2025-07-01 2025-06 <nil>
	// true
}

// The fields of one recipient, and the same fields inserted into a raw
// message.
func ExampleLinks_Value() {
	keys, _ := unsubscribe.NewKeys(unsubscribe.Key{ID: "k1", Secret: []byte("a secret of at least thirty-two octets")})
	links, err := unsubscribe.NewLinks("https://example.com/unsubscribe", "unsubscribe@example.com", keys)
	if err != nil {
		log.Fatal(err)
	}
	v, _ := links.Value("bob@example.com", "weekly-news", time.Now())
	raw := "From: news@example.com\r\nTo: bob@example.com\r\nSubject: This week\r\n\r\nHello\r\n"
	out, inserted, _ := unsubscribe.InsertRaw([]byte(raw), v)
	fmt.Println(inserted, strings.Count(string(out), "List-Unsubscribe"))
	fmt.Println(strings.HasPrefix(v, "<https://example.com/unsubscribe?t="), strings.Contains(v, ", <mailto:unsubscribe@example.com?subject=unsubscribe%20"))
	// Output:
	// true 3
	// true true
}
