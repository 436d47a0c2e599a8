package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProgressOnTerminal runs verify --file with stderr on a
// pseudo-terminal: the progress bar is drawn there, with the count and the
// rate; with stderr on a pipe nothing but errors is written.
func TestProgressOnTerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	require.NoError(t, os.WriteFile(path, []byte("a@example.com\nb@example.com\nc@example.com\n"), 0o644))

	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	seen := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		seen <- string(b)
	}()
	var stdout bytes.Buffer
	a := newApp(strings.NewReader(""), &stdout, tty)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.Equal(t, exitOK, a.run(ctx, []string{"verify", "--offline", "--file", path}))
	require.NoError(t, tty.Close())
	drawn := <-seen
	assert.Contains(t, drawn, "verify [")
	assert.Contains(t, drawn, "3/3 100%")
	assert.Contains(t, drawn, "/s")
	assert.NotContains(t, stdout.String(), "\r", "the bar never goes to stdout")

	r := run(t, "", "verify", "--offline", "--file", path)
	require.Equal(t, exitOK, r.code)
	assert.Empty(t, r.stderr, "no bar on a pipe")
}
