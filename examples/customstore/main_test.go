package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunKeepsSuppressionsAcrossARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suppressions.jsonl")
	runs := []struct {
		name string
		want []string
	}{
		{"FirstRun", []string{
			"1. Opened " + path + ": 0 suppressions.",
			"bounce@simulator.amazonses.com     Bounce    → suppressed",
			"complaint@simulator.amazonses.com  Complaint → suppressed",
			"4. Reopening the file",
			"refused bounce@simulator.amazonses.com     BOUNCE",
			"refused complaint@simulator.amazonses.com  COMPLAINT",
		}},
		// The second run finds the first run's entries before it sends.
		{"SecondRun", []string{
			"1. Opened " + path + ": 2 suppressions.",
			"2. Sending to 3 simulator addresses through a Client that uses it.\n   SES accepted",
			"refused bounce@simulator.amazonses.com     BOUNCE",
		}},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out bytes.Buffer
			if err := run(ctx, &out, path); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			for _, w := range r.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if n := strings.Count(out.String(), "refused success@"); n != 0 {
				t.Errorf("success@ refused %d times:\n%s", n, out.String())
			}
		})
	}
}

func TestRunInATemporaryFile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, ""); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), ": 0 suppressions.") || strings.Count(out.String(), "refused") != 2 {
		t.Errorf("unexpected account:\n%s", out.String())
	}
}
