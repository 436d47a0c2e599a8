// Command inittrace imports package verify and does nothing else, so that
// GODEBUG=inittrace=1 shows what importing verify costs at start-up:
//
//	go build -o /tmp/inittrace ./verify/internal/inittrace
//	GODEBUG=inittrace=1 /tmp/inittrace
//
// Each "init" line on stderr gives a package's init time and heap
// allocation; BENCHMARKS.md records the totals.
package main

import _ "github.com/sesguard/sesguard/verify"

func main() {}
