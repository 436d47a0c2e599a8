package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesguard/sesguard/store"
)

// AWS's review levels: an account is reviewed at a 5% bounce rate or a
// 0.1% complaint rate, and may be paused at 10% or 0.5%.
const (
	awsBounceReview    = 0.05
	awsBouncePause     = 0.10
	awsComplaintReview = 0.001
	awsComplaintPause  = 0.005
)

// statsReport is what stats prints, the shape of its --json output.
type statsReport struct {
	Suppressions suppressionStats `json:"suppressions"`
	Reputation   reputationStats  `json:"reputation"`
}

type suppressionStats struct {
	InForce  int            `json:"inForce"`
	Expired  int            `json:"expired"`
	ByReason map[string]int `json:"byReason"`
	ByScope  map[string]int `json:"byScope"` // "" is all mail
	ByAge    map[string]int `json:"byAge"`   // by how long ago they were made
}

type reputationStats struct {
	Counters      string  `json:"counters"` // the breaker's counter names' prefix
	Window        string  `json:"window"`
	Sent          int64   `json:"sent"`
	Bounced       int64   `json:"bounced"`
	Complained    int64   `json:"complained"`
	BounceRate    float64 `json:"bounceRate"`
	ComplaintRate float64 `json:"complaintRate"`
}

// ageBuckets are the ages stats counts suppressions by.
var ageBuckets = []struct {
	name string
	max  time.Duration
}{
	{"under 1 day", 24 * time.Hour},
	{"1 to 7 days", 7 * 24 * time.Hour},
	{"7 to 30 days", 30 * 24 * time.Hour},
	{"30 to 365 days", 365 * 24 * time.Hour},
	{"over 1 year", 1<<63 - 1},
}

func (a *app) statsCommand() *cobra.Command {
	var (
		f      storeFlags
		name   string
		window time.Duration
		thresh struct{ bounce, complaint float64 }
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show the suppression list by reason, scope and age, and the reputation breaker's counts",
		Long: `stats reads the whole suppression list and counts its entries in force by
reason, scope and age, and reads the reputation breaker's counters in the
store (recipients sent, permanent bounces and complaints, as every sesguard
Client sharing the store records them) over --window, with the rates
against the breaker's thresholds and AWS's review levels (bounces 5%,
pause at 10%; complaints 0.1%, pause at 0.5%).`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
			ad, err := a.openAdmin(cmd.Context(), f, nil)
			if err != nil {
				return err
			}
			defer ad.Close()
			rep := statsReport{}
			if rep.Suppressions, err = a.suppressionStats(cmd.Context(), ad); err != nil {
				return err
			}
			if rep.Reputation, err = a.reputationStats(cmd.Context(), ad.st, name, window); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(rep)
			}
			a.printStats(rep, thresh.bounce, thresh.complaint)
			return nil
		}),
	}
	addStoreFlags(cmd, &f)
	cmd.Flags().StringVar(&name, "breaker-name", "sesguard:breaker", "the breaker's BreakerOptions.Name")
	cmd.Flags().DurationVar(&window, "window", 24*time.Hour, "the breaker's window")
	cmd.Flags().Float64Var(&thresh.bounce, "bounce-threshold", 0.04, "the breaker's BounceRate")
	cmd.Flags().Float64Var(&thresh.complaint, "complaint-threshold", 0.0008, "the breaker's ComplaintRate")
	return cmd
}

func (a *app) suppressionStats(ctx context.Context, ad *admin) (suppressionStats, error) {
	s := suppressionStats{ByReason: map[string]int{}, ByScope: map[string]int{}, ByAge: map[string]int{}}
	now := a.now()
	bar := a.newProgress("stats", 0)
	defer bar.finish()
	err := each(ctx, ad.st, func(e store.Suppression) error {
		bar.add(1)
		if e.Expired(now) {
			s.Expired++
			return nil
		}
		s.InForce++
		s.ByReason[string(e.Reason)]++
		s.ByScope[scopeOf(e)]++
		age := now.Sub(e.CreatedAt)
		for _, b := range ageBuckets {
			if age < b.max {
				s.ByAge[b.name]++
				break
			}
		}
		return nil
	})
	return s, err
}

func (a *app) reputationStats(ctx context.Context, st store.Store, name string, window time.Duration) (reputationStats, error) {
	r := reputationStats{Counters: name, Window: strings.TrimSuffix(strings.TrimSuffix(window.String(), "0s"), "0m")}
	counter, ok := st.(store.Counter)
	if !ok {
		return r, nil
	}
	now := a.now()
	for kind, dst := range map[string]*int64{"sent": &r.Sent, "bounced": &r.Bounced, "complained": &r.Complained} {
		n, err := counter.SumCounts(ctx, name+":"+kind, now.Add(-window), now.Add(time.Second))
		if err != nil {
			return r, fmt.Errorf("read the breaker's %s count: %w", kind, err)
		}
		*dst = n
	}
	if r.Sent > 0 {
		r.BounceRate = float64(r.Bounced) / float64(r.Sent)
		r.ComplaintRate = float64(r.Complained) / float64(r.Sent)
	}
	return r, nil
}

func (a *app) printStats(rep statsReport, bounceThreshold, complaintThreshold float64) {
	s := rep.Suppressions
	a.printf("Suppression list: %s in force, %s expired\n", number(float64(s.InForce)), number(float64(s.Expired)))
	a.printCounts("by reason", s.ByReason, nil)
	a.printCounts("by scope", s.ByScope, scopeName)
	var ages []string
	for _, b := range ageBuckets {
		ages = append(ages, b.name)
	}
	var parts []string
	for _, name := range ages {
		if n := s.ByAge[name]; n > 0 {
			parts = append(parts, name+" "+number(float64(n)))
		}
	}
	a.printf("  by age: %s\n\n", strings.Join(parts, ", "))
	r := rep.Reputation
	a.printf("Reputation (counters %s, last %s): %s sent, %s bounced, %s complained\n", r.Counters, r.Window,
		number(float64(r.Sent)), number(float64(r.Bounced)), number(float64(r.Complained)))
	a.printRate("bounce rate", r.BounceRate, bounceThreshold, awsBounceReview, awsBouncePause)
	a.printRate("complaint rate", r.ComplaintRate, complaintThreshold, awsComplaintReview, awsComplaintPause)
}

func (a *app) printCounts(label string, m map[string]int, name func(string) string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		shown := k
		if name != nil {
			shown = name(k)
		}
		parts = append(parts, shown+" "+number(float64(m[k])))
	}
	a.printf("  %s: %s\n", label, strings.Join(parts, ", "))
}

func (a *app) printRate(label string, rate, breaker, review, pause float64) {
	mark, verdict := "✔", "below them all"
	switch {
	case rate >= pause:
		mark, verdict = "✘", "at or over AWS's pause level"
	case rate >= review:
		mark, verdict = "✘", "at or over AWS's review level"
	case rate >= breaker:
		mark, verdict = "✘", "at or over the breaker's threshold"
	}
	a.printf("  %s %s %s (breaker %s, AWS review %s, pause %s): %s\n", mark, label, percent(rate),
		percent(breaker), percent(review), percent(pause), verdict)
}

func percent(f float64) string {
	return fmt.Sprintf("%.2f%%", 100*f)
}
