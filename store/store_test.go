package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sesguard/sesguard/store"
)

func TestBounceWindow(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return at.Add(time.Duration(n) * time.Hour) }
	tests := []struct {
		name   string
		times  []time.Time
		t      time.Time
		window time.Duration
		want   int
	}{
		{"the bounce alone", nil, at, time.Hour, 1},
		{"the bounce recorded already counts once", []time.Time{at}, at, time.Hour, 1},
		{"a zero window holds the bounce alone", []time.Time{at, h(1)}, at, 0, 1},
		{"earlier neighbours", []time.Time{h(-2), h(-1)}, at, 3 * time.Hour, 3},
		{"later neighbours, delivered first", []time.Time{h(1), h(2)}, at, 3 * time.Hour, 3},
		{"the window is half-open", []time.Time{h(-3), h(3)}, at, 3 * time.Hour, 1},
		{"the best window holding t", []time.Time{h(-2), h(-1), h(1), h(2)}, at, 3 * time.Hour, 3},
		{"unsorted times", []time.Time{h(2), h(-1), h(1)}, at, 2 * time.Hour, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Time(nil), tt.times...)
			assert.Equal(t, tt.want, store.BounceWindow(tt.times, tt.t, tt.window))
			assert.Equal(t, in, tt.times, "BounceWindow modified its times")
		})
	}
}
