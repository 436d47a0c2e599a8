package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/spf13/cobra"

	"github.com/sesguard/sesguard/store"
)

// sesSource is the Source of a suppression pulled from SES's list.
const sesSource = "ses-account-list"

// entry is one address on one side of a sync.
type entry struct {
	Address string `json:"address"`
	Reason  string `json:"reason"`
	Since   string `json:"since"` // RFC 3339
}

// syncReport is what a sync found and did, the shape of its --json output.
type syncReport struct {
	Region       string  `json:"region"`
	SESEntries   int     `json:"sesEntries"`
	StoreEntries int     `json:"storeEntries"` // BOUNCE and COMPLAINT for all mail, in force
	OnlyInSES    []entry `json:"onlyInSes"`    // pull adds these to the store
	OnlyInStore  []entry `json:"onlyInStore"`  // push adds these to SES
	Differ       []entry `json:"differ"`       // on both, with another reason on SES (SES's shown)
	DryRun       bool    `json:"dryRun"`
	Pulled       int     `json:"pulled"`
	Pushed       int     `json:"pushed"`
	DeletedInSES int     `json:"deletedInSes"`
}

type syncFlags struct {
	store      storeFlags
	dryRun     bool
	deleteSES  bool
	details    bool
	pageSize   int32
	maxBackoff time.Duration
	attempts   int
}

func (a *app) syncCommand() *cobra.Command {
	var f syncFlags
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Reconcile the suppression list with the SES account-level suppression list",
		Long: `sync compares sesguard's suppression list with the account-level
suppression list of SES in one region (ListSuppressedDestinations, every
page, backing off when throttled).

  pull  adds the addresses on SES's list to the store (BOUNCE or COMPLAINT,
        source ses-account-list); a stronger entry in the store is kept.
  push  adds the store's BOUNCE and COMPLAINT entries for all mail to SES's
        list (PutSuppressedDestination); other reasons never go to SES.
  diff  prints what pull and push would do.

--dry-run prints the changes without making them. Nothing is ever deleted
from SES's list unless push is given --delete-missing-from-ses.`,
	}
	addStoreFlags(cmd, &f.store)
	pf := cmd.PersistentFlags()
	pf.BoolVar(&f.dryRun, "dry-run", false, "print the changes without making them")
	pf.Int32Var(&f.pageSize, "page-size", 1000, "entries per ListSuppressedDestinations page (at most 1000)")
	pf.IntVar(&f.attempts, "max-attempts", 10, "attempts per SES call when throttled")
	pf.DurationVar(&f.maxBackoff, "max-backoff", 20*time.Second, "longest wait between attempts")
	for _, sub := range []struct{ name, short string }{
		{"pull", "Add the addresses on SES's list to the store"},
		{"push", "Add the store's bounces and complaints to SES's list"},
		{"diff", "Print what pull and push would change"},
	} {
		c := &cobra.Command{
			Use:   sub.name,
			Short: sub.short,
			Args:  cobra.NoArgs,
			RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
				return a.sync(cmd.Context(), sub.name, f)
			}),
		}
		if sub.name == "pull" {
			c.Flags().BoolVar(&f.details, "details", false, "read each new entry's message and feedback ids (one GetSuppressedDestination per address)")
		}
		if sub.name == "push" {
			c.Flags().BoolVar(&f.deleteSES, "delete-missing-from-ses", false, "also DELETE from SES's list the addresses the store does not suppress")
		}
		cmd.AddCommand(c)
	}
	return cmd
}

func (a *app) sync(ctx context.Context, mode string, f syncFlags) error {
	if f.pageSize < 1 || f.pageSize > 1000 {
		return usagef("--page-size %d: want 1 to 1000", f.pageSize)
	}
	client, err := a.ses(ctx, func(o *sesv2.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts, so.MaxBackoff, so.RateLimiter = f.attempts, f.maxBackoff, ratelimit.None
		})
	})
	if err != nil {
		return err
	}
	ad, err := a.openAdmin(ctx, f.store, nil)
	if err != nil {
		return err
	}
	defer ad.Close()

	ses, err := a.listSES(ctx, client, f.pageSize)
	if err != nil {
		return err
	}
	local, err := a.localEntries(ctx, ad)
	if err != nil {
		return err
	}
	rep := diffLists(ses, local)
	rep.Region = client.Options().Region
	rep.DryRun = f.dryRun || mode == "diff"
	if !rep.DryRun {
		switch mode {
		case "pull":
			err = a.pull(ctx, ad, rep, client, f.details)
		case "push":
			err = a.push(ctx, client, rep, ses, local, f.deleteSES)
		}
	}
	if a.json {
		return errors.Join(err, a.printJSON(rep))
	}
	a.printSync(mode, rep, f.deleteSES)
	return err
}

// listSES reads SES's whole list, keyed by lower-cased address.
func (a *app) listSES(ctx context.Context, client *sesv2.Client, pageSize int32) (map[string]entry, error) {
	out := map[string]entry{}
	bar := a.newProgress("list SES", 0)
	defer bar.finish()
	p := sesv2.NewListSuppressedDestinationsPaginator(client, &sesv2.ListSuppressedDestinationsInput{PageSize: aws.Int32(pageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListSuppressedDestinations: %w", err)
		}
		for _, d := range page.SuppressedDestinationSummaries {
			addr := strings.ToLower(aws.ToString(d.EmailAddress))
			out[addr] = entry{Address: addr, Reason: string(d.Reason), Since: formatTime(aws.ToTime(d.LastUpdateTime))}
		}
		bar.add(int64(len(page.SuppressedDestinationSummaries)))
	}
	return out, nil
}

// localEntries reads the store's entries that count for SES: for all mail,
// in force now; keyed by address. Every reason is kept, so that pull does
// not replace a stronger entry; push sends only BOUNCE and COMPLAINT.
func (a *app) localEntries(ctx context.Context, ad *admin) (map[string]store.Suppression, error) {
	out := map[string]store.Suppression{}
	now := a.now()
	err := each(ctx, ad.st, func(s store.Suppression) error {
		if scopeOf(s) == "" && !s.Expired(now) {
			out[s.Address] = s
		}
		return nil
	})
	return out, err
}

func pushable(s store.Suppression) bool {
	return s.Reason == store.ReasonBounce || s.Reason == store.ReasonComplaint
}

// diffLists compares the two lists.
func diffLists(ses map[string]entry, local map[string]store.Suppression) *syncReport {
	rep := &syncReport{SESEntries: len(ses), OnlyInSES: []entry{}, OnlyInStore: []entry{}, Differ: []entry{}}
	for addr, e := range ses {
		l, ok := local[addr]
		switch {
		case !ok || rank(l.Reason) < rank(store.Reason(e.Reason)):
			rep.OnlyInSES = append(rep.OnlyInSES, e)
		case pushable(l) && string(l.Reason) != e.Reason:
			rep.Differ = append(rep.Differ, e)
		}
	}
	for addr, l := range local {
		if !pushable(l) {
			continue
		}
		rep.StoreEntries++
		if _, ok := ses[addr]; !ok {
			rep.OnlyInStore = append(rep.OnlyInStore, entry{Address: addr, Reason: string(l.Reason), Since: formatTime(l.CreatedAt)})
		}
	}
	for _, list := range [][]entry{rep.OnlyInSES, rep.OnlyInStore, rep.Differ} {
		slices.SortFunc(list, func(x, y entry) int { return strings.Compare(x.Address, y.Address) })
	}
	return rep
}

// pull writes the entries only on SES to the store. With details, it reads
// each one's attributes first, so that the store names the SES message and
// the bounce or complaint (feedback id) that put it on SES's list.
func (a *app) pull(ctx context.Context, ad *admin, rep *syncReport, client *sesv2.Client, details bool) error {
	bar := a.newProgress("pull", int64(len(rep.OnlyInSES)))
	defer bar.finish()
	for _, e := range rep.OnlyInSES {
		since, _ := parseTime("since", e.Since)
		s := store.Suppression{Address: e.Address, Reason: store.Reason(e.Reason), Source: sesSource, CreatedAt: since,
			Detail: "on the SES account-level suppression list"}
		if details {
			out, err := client.GetSuppressedDestination(ctx, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String(e.Address)})
			if err != nil {
				return fmt.Errorf("GetSuppressedDestination %s: %w", e.Address, err)
			}
			if at := out.SuppressedDestination.Attributes; at != nil {
				if id := aws.ToString(at.FeedbackId); id != "" {
					s.Source = "ses-feedback:" + id
				}
				if id := aws.ToString(at.MessageId); id != "" {
					s.Detail += ", because of SES message " + id
				}
			}
		}
		if _, written, err := suppressOne(ctx, ad.client, s); err != nil {
			return fmt.Errorf("pull %s: %w", e.Address, err)
		} else if written {
			rep.Pulled++
		}
		bar.add(1)
	}
	return nil
}

func (a *app) push(ctx context.Context, client *sesv2.Client, rep *syncReport, ses map[string]entry, local map[string]store.Suppression, deleteMissing bool) error {
	bar := a.newProgress("push", int64(len(rep.OnlyInStore)))
	defer bar.finish()
	for _, e := range rep.OnlyInStore {
		if _, err := client.PutSuppressedDestination(ctx, &sesv2.PutSuppressedDestinationInput{
			EmailAddress: aws.String(e.Address), Reason: types.SuppressionListReason(e.Reason),
		}); err != nil {
			return fmt.Errorf("PutSuppressedDestination %s: %w", e.Address, err)
		}
		rep.Pushed++
		bar.add(1)
	}
	if !deleteMissing {
		return nil
	}
	for addr := range ses {
		if _, ok := local[addr]; ok {
			continue
		}
		if _, err := client.DeleteSuppressedDestination(ctx, &sesv2.DeleteSuppressedDestinationInput{EmailAddress: aws.String(addr)}); err != nil {
			return fmt.Errorf("DeleteSuppressedDestination %s: %w", addr, err)
		}
		rep.DeletedInSES++
	}
	return nil
}

func (a *app) printSync(mode string, rep *syncReport, deleteMissing bool) {
	a.printf("SES account-level suppression list in %s: %s entries; store: %s bounces and complaints for all mail\n",
		rep.Region, number(float64(rep.SESEntries)), number(float64(rep.StoreEntries)))
	if mode != "push" {
		a.printf("\nonly on SES (pull adds them to the store): %s\n", number(float64(len(rep.OnlyInSES))))
		for _, e := range rep.OnlyInSES {
			a.printf("  + store %s %s (on SES since %s)\n", e.Address, e.Reason, e.Since)
		}
	}
	if mode != "pull" {
		a.printf("\nonly in the store (push adds them to SES): %s\n", number(float64(len(rep.OnlyInStore))))
		for _, e := range rep.OnlyInStore {
			a.printf("  + SES %s %s (in the store since %s)\n", e.Address, e.Reason, e.Since)
		}
	}
	if len(rep.Differ) > 0 {
		a.printf("\non both with other reasons (left as they are): %s\n", number(float64(len(rep.Differ))))
		for _, e := range rep.Differ {
			a.printf("  ~ %s %s on SES\n", e.Address, e.Reason)
		}
	}
	a.printf("\n")
	switch {
	case mode == "diff":
	case rep.DryRun:
		a.printf("dry run: nothing changed\n")
	case mode == "pull":
		a.printf("pulled %s into the store\n", number(float64(rep.Pulled)))
	default:
		a.printf("pushed %s to SES", number(float64(rep.Pushed)))
		if deleteMissing {
			a.printf(", deleted %s from SES", number(float64(rep.DeletedInSES)))
		}
		a.printf("\n")
	}
}
