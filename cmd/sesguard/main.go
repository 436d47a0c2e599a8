// Command sesguard is the operator's tool for sesguard and Amazon SES:
// it checks that an account and its sending domains are ready (doctor),
// administers the suppression list (suppress), reconciles it with the SES
// account-level suppression list (sync), checks addresses (verify), shows
// what the store and the reputation breaker see (stats), and runs the
// sestest emulator as a server for test suites in any language (emulator).
//
// Install it with
//
//	go install github.com/sesguard/sesguard/cmd/sesguard@latest
//
// Every command takes --help. Exit status: 0 when all is well, 1 when the
// command failed or found a problem (doctor: something blocks sending;
// verify: an address is invalid), 2 for a usage error. Output is for people
// by default and JSON with --json. AWS configuration comes from the usual
// places: --region, --profile, the AWS_* environment variables, the shared
// config files, and --endpoint-url as in the AWS CLI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := newApp(os.Stdin, os.Stdout, os.Stderr).run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
