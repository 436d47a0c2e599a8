package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/spf13/cobra"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// listPageSize is how many entries one List call of list, export, stats
// and sync reads.
const listPageSize = 1000

// noSES stands in for SES in the commands that only touch the store: it
// refuses every call.
type noSES struct{}

var errNoSES = errors.New("this command does not call SES")

func (noSES) SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return nil, errNoSES
}

func (noSES) SendBulkEmail(context.Context, *sesv2.SendBulkEmailInput, ...func(*sesv2.Options)) (*sesv2.SendBulkEmailOutput, error) {
	return nil, errNoSES
}

func (noSES) GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	return nil, errNoSES
}

// admin is an open suppression list and a Client over it.
type admin struct {
	st     *sqlstore.Store
	db     *sql.DB
	client *sesguard.Client
}

func (ad *admin) Close() error {
	return errors.Join(ad.client.Close(), ad.db.Close())
}

// openAdmin opens the store of f with a Client over it; api is SES, or nil
// for the commands that do not call it.
func (a *app) openAdmin(ctx context.Context, f storeFlags, api sesguard.SESv2API) (*admin, error) {
	st, db, err := openStore(ctx, f)
	if err != nil {
		return nil, err
	}
	if api == nil {
		api = noSES{}
	}
	c, err := sesguard.New(api, func(o *sesguard.Options) { o.Store, o.Now = st, a.now })
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &admin{st: st, db: db, client: c}, nil
}

func addStoreFlags(cmd *cobra.Command, f *storeFlags) {
	cmd.PersistentFlags().StringVar(&f.dsn, "store", defaultStore, "the suppression list: sqlite:PATH, postgres://... or mysql://user:pass@host:port/db")
	cmd.PersistentFlags().StringVar(&f.prefix, "table-prefix", sqlstore.DefaultTablePrefix, "prefix of the store's tables")
}

func (a *app) suppressCommand() *cobra.Command {
	var f storeFlags
	cmd := &cobra.Command{
		Use:   "suppress",
		Short: "Look up, add, lift, import and export entries of sesguard's suppression list",
		Long: `suppress administers the suppression list that sesguard consults before
every send, kept in SQLite (the default, sqlite:sesguard.db), PostgreSQL or
MySQL/MariaDB.`,
	}
	addStoreFlags(cmd, &f)
	cmd.AddCommand(a.suppressListCommand(&f), a.suppressGetCommand(&f), a.suppressAddCommand(&f),
		a.suppressRemoveCommand(&f), a.suppressImportCommand(&f), a.suppressExportCommand(&f))
	return cmd
}

// rowOf turns a suppression into a row.
func rowOf(s store.Suppression) row {
	return row{Address: s.Address, Scope: scopeOf(s), Reason: string(s.Reason), Detail: s.Detail, Source: s.Source,
		CreatedAt: formatTime(s.CreatedAt), ExpiresAt: formatTime(s.ExpiresAt)}
}

// suppressionOf turns a row into a suppression, with the defaults of an
// operator's entry: reason MANUAL, source as given, created now.
func (a *app) suppressionOf(c *sesguard.Client, r row, source string) (store.Suppression, error) {
	addr, err := c.Canonical(r.Address)
	if err != nil {
		return store.Suppression{}, err
	}
	s := store.Suppression{Address: addr, Reason: store.Reason(strings.ToUpper(r.Reason)), Detail: r.Detail, Source: r.Source}
	if err := setScope(&s, r.Scope); err != nil {
		return store.Suppression{}, err
	}
	if s.Reason == "" {
		s.Reason = store.ReasonManual
	}
	if s.Source == "" {
		s.Source = source
	}
	if s.CreatedAt, err = parseTime("created_at", r.CreatedAt); err != nil {
		return store.Suppression{}, err
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = a.now()
	}
	if s.ExpiresAt, err = parseTime("expires_at", r.ExpiresAt); err != nil {
		return store.Suppression{}, err
	}
	return s, nil
}

// each calls fn with every entry of the list, page by page.
func each(ctx context.Context, l store.Lister, fn func(store.Suppression) error) error {
	var last store.Suppression
	for {
		page, err := listPage(ctx, l, last, listPageSize)
		if err != nil {
			return err
		}
		for _, s := range page {
			if err := fn(s); err != nil {
				return err
			}
		}
		if len(page) < listPageSize {
			return nil
		}
		last = page[len(page)-1]
	}
}

func (a *app) suppressListCommand(f *storeFlags) *cobra.Command {
	var (
		reasons  []string
		scope    string
		limit    int
		expired  bool
		anyScope bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the suppression list in address order",
		Long: `list prints the entries of the suppression list in address order, one per
line (JSON Lines with --json, the shape export writes). Entries that have
expired are left out unless --expired is given.`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
			ad, err := a.openAdmin(cmd.Context(), *f, nil)
			if err != nil {
				return err
			}
			defer ad.Close()
			anyScope = !cmd.Flags().Changed("scope")
			var out *rowWriter
			if a.json {
				out, _ = newRowWriter(a.stdout, formatJSONL)
			}
			now, n := a.now(), 0
			err = each(cmd.Context(), ad.st, func(s store.Suppression) error {
				switch {
				case !expired && s.Expired(now),
					len(reasons) > 0 && !containsFold(reasons, string(s.Reason)),
					!anyScope && scopeOf(s) != scope,
					limit > 0 && n >= limit:
					return nil
				}
				n++
				if out != nil {
					return out.write(rowOf(s))
				}
				a.printf("%s\n", describeLine(s))
				return nil
			})
			if out != nil {
				err = errors.Join(err, out.flush())
			} else if err == nil && n == 0 {
				a.printf("no suppressions\n")
			}
			return err
		}),
	}
	cmd.Flags().StringSliceVar(&reasons, "reason", nil, "only these reasons (BOUNCE, SOFT_BOUNCE, COMPLAINT, UNSUBSCRIBE, INVALID, MANUAL)")
	cmd.Flags().StringVar(&scope, "scope", "", `only this scope ("" is all mail)`)
	cmd.Flags().IntVar(&limit, "limit", 0, "print at most this many (0: all)")
	cmd.Flags().BoolVar(&expired, "expired", false, "include entries that have expired")
	return cmd
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// describeLine is one entry on one line, for list.
func describeLine(s store.Suppression) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%s\t%s\tsince %s", s.Address, scopeName(scopeOf(s)), s.Reason, formatTime(s.CreatedAt))
	if !s.ExpiresAt.IsZero() {
		fmt.Fprintf(&b, "\tuntil %s", formatTime(s.ExpiresAt))
	}
	fmt.Fprintf(&b, "\t%s", s.Source)
	return b.String()
}

func scopeName(scope string) string {
	if scope == "" {
		return "all mail"
	}
	return "list " + strconv.Quote(scope)
}

// lookup is get's answer for one address, the shape of its --json output.
type lookup struct {
	Address      string `json:"address"`
	Suppressed   bool   `json:"suppressed"`
	Suppressions []row  `json:"suppressions"`
}

func (a *app) suppressGetCommand(f *storeFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "get ADDRESS...",
		Short: "Say whether addresses are suppressed, why, since when and because of which notification",
		Args:  cobra.MinimumNArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			ad, err := a.openAdmin(cmd.Context(), *f, nil)
			if err != nil {
				return err
			}
			defer ad.Close()
			var out []lookup
			for _, addr := range args {
				ss, err := suppressions(cmd.Context(), ad.client, addr)
				if err != nil {
					return fmt.Errorf("%s: %w", addr, err)
				}
				l := lookup{Address: addr, Suppressed: len(ss) > 0, Suppressions: []row{}}
				for _, s := range ss {
					l.Suppressions = append(l.Suppressions, rowOf(s))
				}
				out = append(out, l)
			}
			if a.json {
				return a.printJSON(out)
			}
			for _, l := range out {
				a.printLookup(l)
			}
			return nil
		}),
	}
}

func (a *app) printLookup(l lookup) {
	if !l.Suppressed {
		a.printf("%s is not suppressed: it may be mailed\n", l.Address)
		return
	}
	for _, r := range l.Suppressions {
		a.printf("%s is suppressed for %s: %s since %s", r.Address, scopeName(r.Scope), r.Reason, r.CreatedAt)
		if r.ExpiresAt != "" {
			a.printf(", until %s", r.ExpiresAt)
		}
		a.printf("\n")
		if r.Detail != "" {
			a.printf("  detail: %s\n", r.Detail)
		}
		a.printf("  source: %s\n", describeSource(r.Source))
	}
}

// describeSource says what made a suppression, from its Source as the
// Client writes it.
func describeSource(src string) string {
	kind, id, _ := strings.Cut(src, ":")
	switch {
	case src == "manual":
		return "manual (an operator)"
	case src == sesSource:
		return "the SES account-level suppression list (sesguard sync pull)"
	case src == "check":
		return "a pre-send check (verify)"
	case kind == "ses-feedback" && id != "":
		return "the SES bounce or complaint with feedback id " + id
	case kind == "sns" && id != "":
		return "the SNS notification " + id
	case kind == "ses-message" && id != "":
		return "a notification about the SES message " + id
	case src == "":
		return "unknown"
	}
	return src
}

func (a *app) suppressAddCommand(f *storeFlags) *cobra.Command {
	var (
		r       row
		expires string
	)
	cmd := &cobra.Command{
		Use:   "add ADDRESS...",
		Short: "Suppress addresses (reason MANUAL unless --reason says otherwise)",
		Long: `add suppresses each address, for all mail or, with --scope, for one list.
A stronger suppression already in force is kept: add never weakens one
(lift it with remove first).`,
		Example: `  sesguard suppress add bob@example.com
  sesguard suppress add --reason COMPLAINT --detail "ticket 4711" carol@example.com
  sesguard suppress add --expires 720h dave@example.com`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			if expires != "" {
				t, err := expiry(a.now(), expires)
				if err != nil {
					return usageError{err}
				}
				r.ExpiresAt = formatTime(t)
			}
			ad, err := a.openAdmin(cmd.Context(), *f, nil)
			if err != nil {
				return err
			}
			defer ad.Close()
			var out []row
			for _, addr := range args {
				r.Address = addr
				s, err := a.suppressionOf(ad.client, r, "manual")
				if err != nil {
					return fmt.Errorf("%s: %w", addr, err)
				}
				inForce, written, err := suppressOne(cmd.Context(), ad.client, s)
				if err != nil {
					return fmt.Errorf("%s: %w", addr, err)
				}
				out = append(out, rowOf(inForce))
				if a.json {
					continue
				}
				if written {
					a.printf("suppressed %s for %s: %s\n", inForce.Address, scopeName(scopeOf(inForce)), inForce.Reason)
				} else {
					a.printf("kept %s: a stronger suppression is in force (%s since %s)\n", inForce.Address, inForce.Reason, formatTime(inForce.CreatedAt))
				}
			}
			if a.json {
				return a.printJSON(out)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&r.Reason, "reason", "", "BOUNCE, SOFT_BOUNCE, COMPLAINT, UNSUBSCRIBE, INVALID or MANUAL (default MANUAL)")
	cmd.Flags().StringVar(&r.Detail, "detail", "", "why, for the record")
	cmd.Flags().StringVar(&r.Scope, "scope", "", `the list it applies to ("": all mail)`)
	cmd.Flags().StringVar(&expires, "expires", "", "when it ends: a duration (720h) or a time (RFC 3339); default never")
	return cmd
}

// expiry reads --expires: a duration from now or a time.
func expiry(now time.Time, s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--expires %s: want a positive duration", s)
		}
		return now.Add(d), nil
	}
	return parseTime("--expires", s)
}

func (a *app) suppressRemoveCommand(f *storeFlags) *cobra.Command {
	var scopes []string
	cmd := &cobra.Command{
		Use:   "remove ADDRESS...",
		Short: "Lift the suppressions of addresses, so that they may be mailed again",
		Long: `remove lifts each address's suppressions: in every scope, or only in the
--scope given. Lifting one that does not exist is not an error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("scope") {
				scopes = nil
			}
			ad, err := a.openAdmin(cmd.Context(), *f, nil)
			if err != nil {
				return err
			}
			defer ad.Close()
			var out []string
			for _, addr := range args {
				if err := unsuppress(cmd.Context(), ad.client, addr, scopes); err != nil {
					return fmt.Errorf("%s: %w", addr, err)
				}
				canon, _ := ad.client.Canonical(addr)
				out = append(out, canon)
				if !a.json {
					a.printf("lifted %s\n", canon)
				}
			}
			if a.json {
				return a.printJSON(struct {
					Lifted []string `json:"lifted"`
				}{out})
			}
			return nil
		}),
	}
	cmd.Flags().StringSliceVar(&scopes, "scope", nil, `lift only in these scopes ("" is all mail)`)
	return cmd
}

// importSummary is what import did, the shape of its --json output.
type importSummary struct {
	Read     int    `json:"read"`     // rows of the input read this run
	Skipped  int    `json:"skipped"`  // rows skipped because a checkpoint said they were done
	Imported int    `json:"imported"` // rows written this run
	Input    string `json:"input"`
}

func (a *app) suppressImportCommand(f *storeFlags) *cobra.Command {
	var format, checkpoint, source string
	var batch int
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import suppressions from CSV or JSON Lines (- for standard input)",
		Long: `import reads suppressions from a CSV file with a header row (address, and
any of scope, reason, detail, source, created_at, expires_at) or from JSON
Lines with those members, and writes them in batches. A row without a
reason is MANUAL; without created_at, now.

Importing is idempotent: the same rows again change nothing, and a write
never weakens a suppression in force. With --checkpoint, each batch
written is recorded in that file, and a run that finds it resumes after
the rows it names; the file is removed when the import completes.`,
		Example: `  sesguard suppress import --store postgres://app@db/app list.csv
  sesguard suppress import --checkpoint list.ckpt big.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			fmtName, err := formatOf(format, args[0])
			if err != nil {
				return err
			}
			in := a.stdin
			if args[0] != "-" {
				file, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer file.Close()
				in = file
			}
			skip, err := readCheckpoint(checkpoint)
			if err != nil {
				return err
			}
			ad, err := a.openAdmin(cmd.Context(), *f, nil)
			if err != nil {
				return err
			}
			defer ad.Close()
			sum := importSummary{Input: args[0], Skipped: skip}
			bar := a.newProgress("import", 0)
			var rowErr error
			seq := func(yield func(store.Suppression, error) bool) {
				line := 0
				for r, err := range readRows(in, fmtName) {
					if err != nil {
						rowErr = err
						return
					}
					line++
					if line <= skip {
						continue
					}
					sum.Read++
					s, err := a.suppressionOf(ad.client, r, source)
					if err != nil {
						rowErr = fmt.Errorf("row %d: %w", line, err)
						return
					}
					if !yield(s, nil) {
						return
					}
				}
			}
			n, err := ad.st.Import(cmd.Context(), seq, func(o *sqlstore.ImportOptions) {
				o.BatchSize = batch
				o.Progress = func(done int) {
					bar.set(int64(done))
					if checkpoint != "" {
						_ = writeCheckpoint(checkpoint, skip+done)
					}
				}
			})
			bar.finish()
			sum.Imported = n
			if err = errors.Join(err, rowErr); err != nil {
				return fmt.Errorf("import stopped after %d rows: %w", skip+n, err)
			}
			if checkpoint != "" {
				if err := os.Remove(checkpoint); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
			}
			if a.json {
				return a.printJSON(sum)
			}
			a.printf("imported %s rows from %s", number(float64(sum.Imported)), sum.Input)
			if skip > 0 {
				a.printf(" (resumed after %s)", number(float64(skip)))
			}
			a.printf("\n")
			return nil
		}),
	}
	cmd.Flags().StringVar(&format, "format", "", "csv or jsonl (default: from the file's extension; csv for -)")
	cmd.Flags().StringVar(&checkpoint, "checkpoint", "", "record progress in this file and resume from it")
	cmd.Flags().StringVar(&source, "source", "import", "the source of rows that name none")
	cmd.Flags().IntVar(&batch, "batch", sqlstore.DefaultImportBatch, "rows per batch")
	return cmd
}

func readCheckpoint(path string) (int, error) {
	if path == "" {
		return 0, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("checkpoint %s: %q is not a row count", path, b)
	}
	return n, nil
}

// writeCheckpoint records n rows done, replacing the file atomically.
func writeCheckpoint(path string, n int) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (a *app) suppressExportCommand(f *storeFlags) *cobra.Command {
	var format string
	var expired bool
	cmd := &cobra.Command{
		Use:   "export [FILE]",
		Short: "Export the suppression list as CSV or JSON Lines (standard output without FILE)",
		Long: `export writes every entry of the suppression list, in address order, read
page by page with the store's cursor so that memory stays flat however long
the list. The output is what import reads: an export imported again
changes nothing.`,
		Args: cobra.MaximumNArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			path := "-"
			if len(args) == 1 {
				path = args[0]
			}
			fmtName, err := formatOf(format, path)
			if err != nil {
				return err
			}
			ad, err := a.openAdmin(cmd.Context(), *f, nil)
			if err != nil {
				return err
			}
			defer ad.Close()
			out := a.stdout
			if path != "-" {
				file, err := os.Create(path)
				if err != nil {
					return err
				}
				defer file.Close()
				out = file
			}
			w, err := newRowWriter(out, fmtName)
			if err != nil {
				return err
			}
			bar := a.newProgress("export", 0)
			now := a.now()
			err = each(cmd.Context(), ad.st, func(s store.Suppression) error {
				if !expired && s.Expired(now) {
					return nil
				}
				bar.add(1)
				return w.write(rowOf(s))
			})
			bar.finish()
			return errors.Join(err, w.flush())
		}),
	}
	cmd.Flags().StringVar(&format, "format", "", "csv or jsonl (default: from the file's extension; csv for standard output)")
	cmd.Flags().BoolVar(&expired, "expired", true, "include entries that have expired")
	return cmd
}
