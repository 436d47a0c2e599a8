// Command inittrace imports package verify and builds, but does not run, a
// chain of every built-in checker, so that GODEBUG=inittrace=1 shows what
// importing verify costs at start-up with none of its package state pruned
// by the linker:
//
//	go build -o inittrace ./verify/internal/inittrace
//	GODEBUG=inittrace=1 ./inittrace
//
// Each "init" line on stderr gives a package's init time and heap
// allocation; BENCHMARKS.md records the totals.
package main

import (
	"context"
	"os"

	"github.com/sesguard/sesguard/verify"
)

func main() {
	chain := verify.NewChain(new(verify.Lists), verify.Typos{}, verify.Disposable{}, verify.Roles{},
		verify.FreeProviders{}, verify.NewDomain(), verify.NewExternal(verify.ExternalFunc(nil)))
	if len(os.Args) > 1 { // never in the measurement: keeps the checkers reachable
		_, _ = chain.Verify(context.Background(), os.Args[1])
	}
}
