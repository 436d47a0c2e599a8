package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// errReported is returned by a command that has already said what went
// wrong (doctor's ✘ lines, verify's invalid addresses): the exit status is
// 1 and nothing more is printed.
var errReported = errors.New("reported")

// usageError is a mistake in the command line that cobra cannot see, such
// as a command run without the input it needs: exit status 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// app is one run of the command: its streams and the things tests inject.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	// now is the clock; terminal reports whether w is a terminal, for the
	// progress bars.
	now      func() time.Time
	terminal func(w io.Writer) bool

	// flags shared by every command
	json        bool
	region      string
	profile     string
	endpointURL string

	started bool // a command's RunE began: an error after it is not a usage error
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, terminal: isTerminal}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// run runs the command line args and returns the exit status.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errReported):
		return exitFailure
	case !a.started || errors.As(err, new(usageError)):
		fmt.Fprintf(a.stderr, "sesguard: %v\nRun 'sesguard --help' for usage.\n", err)
		return exitUsage
	}
	fmt.Fprintf(a.stderr, "sesguard: %v\n", err)
	return exitFailure
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "sesguard",
		Short: "Operate sesguard and Amazon SES: doctor, suppression list, sync, verify, stats, emulator",
		Long: `sesguard checks that an SES account and its sending domains are ready,
administers sesguard's suppression list, reconciles it with the SES
account-level suppression list, checks addresses, and runs the sestest
emulator for test suites in any language.

Exit status: 0 ok, 1 failure (or a problem found), 2 usage error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.BoolVar(&a.json, "json", false, "print JSON for scripts instead of text for people")
	pf.StringVar(&a.region, "region", "", "AWS region (default: AWS_REGION, then the profile's)")
	pf.StringVar(&a.profile, "profile", "", "named profile of the shared AWS config (default: AWS_PROFILE)")
	pf.StringVar(&a.endpointURL, "endpoint-url", "", "SES endpoint URL, as in the AWS CLI (e.g. a sestest emulator)")
	root.AddCommand(
		a.doctorCommand(),
		a.verifyCommand(),
		a.emulatorCommand(),
		a.suppressCommand(),
		a.syncCommand(),
		a.statsCommand(),
	)
	return root
}

// runE wraps a command's body so that an error it returns counts as a
// failure (exit 1), not as a usage error.
func (a *app) runE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.started = true
		return fn(cmd, args)
	}
}

// printJSON writes v as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}
