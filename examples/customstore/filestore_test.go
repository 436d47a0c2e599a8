package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(filepath.Join(t.TempDir(), "suppressions.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// open opens the store at path and closes it when t ends.
func open(t *testing.T, path string) *FileStore {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestReopenedFileHoldsWhatWasWritten(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.jsonl")
	at := time.Date(2026, 5, 1, 12, 0, 0, 123_000_000, time.UTC)
	kept := store.Suppression{Address: "kept@example.com", Reason: store.ReasonBounce, Detail: "Permanent/General", Source: "n-1", CreatedAt: at}
	replaced := store.Suppression{Address: "soft@example.com", Reason: store.ReasonSoftBounce, Source: "n-3", CreatedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour)}

	s := open(t, path)
	for _, v := range []store.Suppression{
		kept,
		{Address: "gone@example.com", Reason: store.ReasonManual},
		{Address: "soft@example.com", Reason: store.ReasonSoftBounce, Source: "n-2", CreatedAt: at, ExpiresAt: at.Add(time.Hour)},
		replaced,
	} {
		if _, err := s.Put(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, store.Key{Address: "gone@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	got, err := open(t, path).Lookup(ctx, []string{"kept@example.com", "gone@example.com", "soft@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Suppression{kept.Address: kept, replaced.Address: replaced}
	if len(got) != len(want) {
		t.Fatalf("reopened store holds %v, want %v", got, want)
	}
	for _, g := range got {
		a, w := g.Address, want[g.Address]
		if g.Reason != w.Reason || g.Detail != w.Detail || g.Source != w.Source || !g.CreatedAt.Equal(w.CreatedAt) || !g.ExpiresAt.Equal(w.ExpiresAt) {
			t.Errorf("%s reopened as %+v, want %+v", a, g, w)
		}
	}
}

func TestOpenReadsTheLastLine(t *testing.T) {
	const complete = `{"op":"put","address":"a@example.com","reason":"BOUNCE"}` + "\n"
	tests := []struct {
		name     string
		content  string
		want     []string // addresses stored after Open
		wantFile string   // the file after Open
	}{
		{"EmptyFile", "", nil, ""},
		{"CompleteLines", complete, []string{"a@example.com"}, complete},
		{"TornLastLineIsCutOff", complete + `{"op":"put","addr`, []string{"a@example.com"}, complete},
		{"WholeChangeWithoutNewlineIsKept", complete + `{"op":"put","address":"b@example.com"}`,
			[]string{"a@example.com", "b@example.com"}, complete + `{"op":"put","address":"b@example.com"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.jsonl")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := open(t, path)
			page, err := s.List(context.Background(), store.Key{}, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range page {
				got = append(got, v.Address)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("stored %v, want %v", got, tt.want)
			}
			// A change appended now lands on a line of its own.
			if _, err := s.Put(context.Background(), store.Suppression{Address: "c@example.com"}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.wantFile + `{"op":"put","address":"c@example.com"}` + "\n"; string(data) != want {
				t.Errorf("file holds\n%s\nwant\n%s", data, want)
			}
		})
	}
}

func TestOpenRefusesACorruptFile(t *testing.T) {
	const good = `{"op":"put","address":"a@example.com"}` + "\n"
	tests := []struct {
		name, line string
	}{
		{"NotJSON", "hello\n"},
		{"UnknownOp", `{"op":"upsert","address":"a@example.com"}` + "\n"},
		{"UnknownField", `{"op":"put","address":"a@example.com","colour":"red"}` + "\n"},
		{"NoAddress", `{"op":"delete"}` + "\n"},
		{"TwoChangesOnALine", `{"op":"delete","address":"a@example.com"} {"op":"delete","address":"b@example.com"}` + "\n"},
		{"BadTime", `{"op":"put","address":"a@example.com","created_at":"yesterday"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.jsonl")
			content := good + tt.line + good
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "line 2") {
				t.Errorf("error %q does not wrap ErrCorrupt and name line 2", err)
			}
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Errorf("Open changed the corrupt file to %q", data)
			}
		})
	}
}

func TestPutRefusesWhatJSONCannotHold(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.jsonl"))
	tests := []struct {
		name string
		v    store.Suppression
	}{
		{"EmptyAddress", store.Suppression{Reason: store.ReasonBounce}},
		{"AddressNotUTF8", store.Suppression{Address: "a\xff@example.com"}},
		{"DetailNotUTF8", store.Suppression{Address: "a@example.com", Detail: "\xc3"}},
		{"YearPast9999", store.Suppression{Address: "a@example.com", ExpiresAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Put(context.Background(), tt.v); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Put: %v, want an error wrapping store.ErrInvalid", err)
			}
			if got, _ := s.Lookup(context.Background(), []string{tt.v.Address}); len(got) != 0 {
				t.Errorf("refused entry stored: %v", got)
			}
		})
	}
}

func TestWritesAfterCloseFail(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.jsonl"))
	ctx := context.Background()
	if _, err := s.Put(ctx, store.Suppression{Address: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, store.Suppression{Address: "b@example.com"}); err == nil {
		t.Error("Put after Close succeeded")
	}
	if err := s.Delete(ctx, store.Key{Address: "a@example.com"}); err == nil {
		t.Error("Delete after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
