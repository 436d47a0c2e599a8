package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"

	"github.com/sesguard/sesguard/store"
)

// FuzzReplay feeds arbitrary files to the replay of Open. Whatever it
// accepts must survive being written out again: the entries it yields,
// encoded as Put would encode them, replay to the same entries. Seeds are
// in testdata/fuzz/FuzzReplay.
func FuzzReplay(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, size, unterminated, err := replay(bytes.NewReader(data))
		if err != nil {
			return
		}
		if size > int64(len(data)) {
			t.Fatalf("size %d past the %d bytes read", size, len(data))
		}
		if unterminated != (size > 0 && data[size-1] != '\n') {
			t.Fatalf("unterminated %v, but the kept part ends %q", unterminated, data[:size])
		}
		var out bytes.Buffer
		for _, v := range m {
			line, err := json.Marshal(change{Op: "put", Address: v.Address, Scope: v.Scope, Reason: v.Reason, Detail: v.Detail, Source: v.Source, CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt})
			if err != nil {
				t.Fatalf("an entry replay accepted cannot be written: %v", err)
			}
			out.Write(append(line, '\n'))
		}
		again, _, _, err := replay(&out)
		if err != nil {
			t.Fatalf("written entries do not replay: %v\n%s", err, out.Bytes())
		}
		if !maps.EqualFunc(m, again, same) {
			t.Fatalf("entries changed when written and replayed:\n%v\n%v", m, again)
		}
	})
}

func same(a, b store.Suppression) bool {
	return a.Address == b.Address && a.Scope == b.Scope && a.Reason == b.Reason && a.Detail == b.Detail && a.Source == b.Source &&
		a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}
