package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/sesguard/sesguard/verify"
)

// verdict is one address's result, the shape of verify's --json output.
type verdict struct {
	Address    string   `json:"address"`
	Verdict    string   `json:"verdict"` // valid, unknown, risky, invalid
	Reason     string   `json:"reason,omitempty"`
	Detail     string   `json:"detail,omitempty"`
	Suggestion string   `json:"suggestion,omitempty"`
	Checker    string   `json:"checker,omitempty"`
	Flags      []string `json:"flags"`
}

func (a *app) verifyCommand() *cobra.Command {
	var (
		file    string
		dns     string
		offline bool
		workers int
	)
	cmd := &cobra.Command{
		Use:   "verify [ADDRESS...]",
		Short: "Check addresses with the verify package: syntax, typos, disposable and role addresses, DNS",
		Long: `verify checks each address as sesguard's pre-send check does: RFC 5321
syntax, typos of common providers (with the correction), disposable and
role addresses, free providers, and the domain's MX records. It prints one
line per address, in the order given, with the verdict (valid, unknown,
risky, invalid), the reason and any suggestion.

Exit status 1 when any address is invalid.`,
		Example: `  sesguard verify bob@gmial.com alice@example.com
  sesguard verify --file signups.txt --json > verdicts.json
  sesguard verify --offline --file list.txt`,
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			addrs := args
			if file != "" {
				more, err := readLines(file, a.stdin)
				if err != nil {
					return err
				}
				addrs = append(addrs, more...)
			}
			if len(addrs) == 0 {
				return usagef("no addresses: give them as arguments or with --file")
			}
			checkers := []verify.Checker{verify.Typos{}, verify.Disposable{}, verify.Roles{}, verify.FreeProviders{}}
			if !offline {
				checkers = append(checkers, verify.NewDomain(func(o *verify.DomainOptions) {
					if dns != "" {
						o.Resolver = dnsResolver(dns)
					}
				}))
			}
			bar := a.newProgress("verify", int64(len(addrs)))
			results, err := verifyAll(cmd.Context(), verify.NewChain(checkers...), addrs, max(workers, 1), bar)
			bar.finish()
			if err != nil {
				return err
			}
			invalid := 0
			for _, r := range results {
				if r.Verdict == verify.Invalid.String() {
					invalid++
				}
			}
			if a.json {
				if err := a.printJSON(results); err != nil {
					return err
				}
			} else {
				a.printVerdicts(results)
			}
			if invalid > 0 {
				return errReported
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&file, "file", "", `read addresses from this file, one per line ("-" for standard input)`)
	cmd.Flags().StringVar(&dns, "dns", "", "DNS server (host:port) to ask instead of the system's resolver")
	cmd.Flags().BoolVar(&offline, "offline", false, "skip the DNS checks")
	cmd.Flags().IntVar(&workers, "workers", 16, "addresses checked at once")
	return cmd
}

// readLines reads the non-empty lines of the file at path, or of stdin
// for "-".
func readLines(path string, stdin io.Reader) ([]string, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines, sc.Err()
}

// verifyAll verifies addrs with workers goroutines and returns the results
// in the order of addrs.
func verifyAll(ctx context.Context, v verify.Verifier, addrs []string, workers int, bar *progress) ([]verdict, error) {
	out := make([]verdict, len(addrs))
	next := make(chan int)
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	for range min(workers, len(addrs)) {
		wg.Go(func() {
			for i := range next {
				r, err := v.Verify(ctx, addrs[i])
				if err != nil {
					errOnce.Do(func() { first = err })
					continue
				}
				out[i] = verdictOf(addrs[i], r)
				bar.add(1)
			}
		})
	}
	for i := range addrs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return out, first
}

func verdictOf(addr string, r verify.Result) verdict {
	flags := []string{}
	if s := r.Flags.String(); s != "" {
		flags = strings.Split(s, "|")
	}
	return verdict{Address: addr, Verdict: r.Verdict.String(), Reason: string(r.Reason), Detail: r.Detail,
		Suggestion: r.Suggestion, Checker: r.Checker, Flags: flags}
}

func (a *app) printVerdicts(results []verdict) {
	for _, r := range results {
		mark := "✔"
		switch r.Verdict {
		case verify.Invalid.String():
			mark = "✘"
		case verify.Risky.String(), verify.Unknown.String():
			mark = "?"
		}
		a.printf("%s %s: %s", mark, r.Address, r.Verdict)
		if r.Reason != "" {
			a.printf(" (%s)", r.Reason)
		}
		if r.Detail != "" {
			a.printf(": %s", r.Detail)
		}
		if r.Suggestion != "" {
			a.printf("; did you mean %s?", r.Suggestion)
		}
		if len(r.Flags) > 0 {
			a.printf(" [%s]", strings.Join(r.Flags, ", "))
		}
		a.printf("\n")
	}
}
