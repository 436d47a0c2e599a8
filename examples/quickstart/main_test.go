package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestQuickstartRuns(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("run: %v\noutput so far:\n%s", err, out.String())
	}
	for _, want := range []string{
		"confirmed the subscription",
		"bounce@simulator.amazonses.com           Bounce     → suppressed",
		"complaint@simulator.amazonses.com        Complaint  → suppressed",
		"SES received it for: success@simulator.amazonses.com\n",
		"refused before SES:  suppressionlist@simulator.amazonses.com  BOUNCE",
		"sesguard: recipient suppressed: bounce@simulator.amazonses.com (BOUNCE",
		"Done: SES accepted 5 messages",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestQuickstartReportsAFailedStep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := run(ctx, &out)
	if err == nil {
		t.Fatalf("run with a cancelled context succeeded:\n%s", out.String())
	}
	if !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error %q does not say what went wrong", err)
	}
}
