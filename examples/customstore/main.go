// Command customstore shows how to write a suppression store of your own and
// prove it: FileStore, in filestore.go, keeps the list in a map and appends
// every change to a JSON-lines file. Run it with
//
//	go run ./examples/customstore
//	go run ./examples/customstore -file suppressions.jsonl
//
// It needs no AWS account and no network: it starts sestest, sends through a
// sesguard Client that uses a FileStore, applies the bounce and complaint
// the emulator reports, then reopens the file, as a restarted process would,
// and shows that the suppressions survived. Without -file it works in a
// temporary file; with one, a second run finds the first run's entries.
//
// # Writing a store
//
// A store is anything that implements store.Store's three methods:
//
//	Lookup(ctx, addrs) ([]store.Suppression, error) // every scope of addrs, one round trip
//	Put(ctx, s) (written bool, err error)           // never weakens what is stored
//	Delete(ctx, key) error                          // a missing one is not an error
//
// The rules, which the methods' doc comments state in full: a suppression
// is kept per store.Key, an address in canonical form (compared byte for
// byte) and a scope (store.ScopeAll for bounces and complaints, a list's
// name for an unsubscribe); Lookup returns every scope of the addresses
// asked, each once, and an address that is not stored is simply absent,
// not an error; Put never replaces a stronger suppression with a weaker
// one — store.Replaces is the rule, and the store applies it atomically
// with the write (FileStore holds its lock across both); every field of a
// Suppression round-trips, times as instants to the millisecond at least;
// a store keeps no clock (the Client ignores entries whose ExpiresAt has
// passed); a cancelled ctx makes a method fail and change nothing; and the
// store is safe for concurrent use. Wrap store.ErrInvalid for input the
// store cannot hold rather than cutting it short — FileStore refuses text
// that is not UTF-8, which JSON would silently rewrite — but hold the
// longest address and scope (store.MaxAddressLen, store.MaxScopeLen).
//
// # Optional abilities
//
// The Client discovers more abilities with a type assertion, as net/http
// discovers http.Flusher. Implement one only if the store can do it
// atomically across every process that shares it; without it the Client
// falls back as follows:
//
//   - store.Deduper (Applied, MarkApplied): remembers applied
//     notifications, and adds their counts for the reputation breaker in
//     the same step as the mark, so that a redelivery is a no-op. The
//     Client writes a notification's effects first and marks it last, so
//     a failure between them is repaired by the redelivery. Without it,
//     each process remembers marks in memory: a redelivery that reaches
//     another process or comes after a restart is applied again, which is
//     harmless — every effect is idempotent — but counts again for the
//     breaker.
//   - store.BounceCounter (AddTransientBounce, ClearTransientBounces):
//     records soft bounces per address, once per bounce id, and counts
//     them in a window. Without it the records live in the process that
//     applies notifications and start again at a restart.
//   - store.Counter (AddCount, SumCounts): the recipients sent, bounced and
//     complained that the reputation breaker judges. Without it each
//     process judges its own sends and the notifications it applied itself,
//     so a service whose notifications arrive in another process needs it.
//   - store.Transactor (InTx): applies a batch of notifications, as the SQS
//     consumer receives them, in one transaction.
//   - store.Lister (List) and store.Purger (Purge): listing page by page and
//     removing what expired, for operators' export and for the Client's
//     periodic purge (Options.PurgeEvery).
//
// FileStore implements Lister, which a map makes easy, and nothing else: one
// file belongs to one process, so it cannot count or dedupe for several.
//
// # Proving a store
//
// Package store/storetest holds the conformance suite every store passes,
// in-tree or not. A store's test is a few lines (see filestore_test.go):
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := Open(filepath.Join(t.TempDir(), "suppressions.jsonl"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Each case is a subtest named after the rule it checks, so a failure says
// which rule was broken; the cases of an optional ability run when the store
// has it and are skipped, with a message, when it does not. Test what is
// particular to the store beside it: for FileStore, that a reopened file
// holds what was written and that a damaged file is reported, not
// half-read.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	file := flag.String("file", "", "the JSON-lines file of the suppression list (default: a temporary file, removed at exit)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout, *file); err != nil {
		fmt.Fprintln(os.Stderr, "customstore:", err)
		os.Exit(1)
	}
}
