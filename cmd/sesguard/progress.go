package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progress is a progress bar on stderr: a label, a bar (when the total is
// known), the count and the rate, redrawn at most every 100ms. It draws
// only on a terminal; elsewhere every method does nothing, so that logs and
// pipes get no control characters.
//
// A progress is safe for concurrent use by multiple goroutines.
type progress struct {
	w     io.Writer // nil: not a terminal
	label string
	total int64 // 0: unknown
	now   func() time.Time
	start time.Time
	n     atomic.Int64

	mu   sync.Mutex
	last time.Time
}

const progressEvery = 100 * time.Millisecond

// newProgress starts a progress bar for label on the app's stderr when it
// is a terminal.
func (a *app) newProgress(label string, total int64) *progress {
	p := &progress{label: label, total: total, now: a.now, start: a.now()}
	if a.terminal(a.stderr) {
		p.w = a.stderr
	}
	return p
}

// add counts n more done, and redraws when it is time.
func (p *progress) add(n int64) { p.redraw(p.n.Add(n)) }

// set sets the count done, and redraws when it is time.
func (p *progress) set(done int64) {
	p.n.Store(done)
	p.redraw(done)
}

func (p *progress) redraw(done int64) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.now(); t.Sub(p.last) >= progressEvery {
		p.last = t
		p.draw(done, t)
	}
}

// finish draws the final state and ends the line.
func (p *progress) finish() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(p.n.Load(), p.now())
	fmt.Fprintln(p.w)
}

func (p *progress) draw(done int64, t time.Time) {
	rate := 0.0
	if secs := t.Sub(p.start).Seconds(); secs > 0 {
		rate = float64(done) / secs
	}
	if p.total > 0 {
		const width = 30
		filled := int(min(done, p.total) * width / p.total)
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = ' '
			if i < filled {
				bar[i] = '='
			}
		}
		fmt.Fprintf(p.w, "\r%s [%s] %s/%s %3d%% %s/s ", p.label, bar, number(float64(done)), number(float64(p.total)),
			done*100/p.total, number(float64(int64(rate))))
		return
	}
	fmt.Fprintf(p.w, "\r%s %s %s/s ", p.label, number(float64(done)), number(float64(int64(rate))))
}
