package ui

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// StallStats is what ProbeStalls measured: how late work posted to the UI
// goroutine ran (the frame loop drains fyne.Do between frames, so the worst
// delay is the longest the window was unresponsive), and when the list grew.
type StallStats struct {
	Started time.Time // when the probe started (the window exists by then)
	Samples int
	Max     time.Duration
	P99     time.Duration
	// Rows records (time since the probe started, rows in the list) each time
	// the number of rows changed.
	Rows []RowsAt
	// Longest are the longest delays, longest first (at most 20), each with
	// when it was posted: a delay at launch (the window's first frames) can
	// be told from one while rows arrive.
	Longest []Delay
	// Delays are every probe's delay, in the order posted, so a reader can
	// tell apart the window's start and what followed a drop.
	Delays []Delay
	// Applies is how many UI callbacks merged rows into the list, and
	// ApplyMax the longest of them: the window's own share of the delays.
	Applies  int
	ApplyMax time.Duration
}

// Delay is one probe's wait: posted After the probe started, it ran Took later.
type Delay struct {
	After time.Duration
	Took  time.Duration
}

// RowsAt is the list length at a moment.
type RowsAt struct {
	After time.Duration
	Rows  int
}

// ProbeStalls posts a no-op to the UI goroutine every period until ctx ends
// and measures how long each waited. The returned function stops the probe
// and reports; call it after the app quit (it then reads the window's own
// counters, which belong to the UI goroutine).
func (w *Window) ProbeStalls(ctx context.Context, period time.Duration) func() StallStats {
	start := time.Now()
	out := make(chan StallStats, 1)
	go func() {
		var lat []time.Duration
		var all []Delay
		var rows []RowsAt
		last := -1
		ran := make(chan int, 1)
		for ctx.Err() == nil {
			t0 := time.Now()
			w.do(func() { ran <- w.list.count() })
			var n int
			select {
			case n = <-ran:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
			lat = append(lat, time.Since(t0))
			all = append(all, Delay{After: t0.Sub(start), Took: lat[len(lat)-1]})
			if n != last {
				rows = append(rows, RowsAt{After: time.Since(start), Rows: n})
				last = n
			}
			select {
			case <-time.After(period):
			case <-ctx.Done():
			}
		}
		s := StallStats{Started: start, Samples: len(lat), Rows: rows, Delays: slices.Clone(all)}
		if len(lat) > 0 {
			slices.Sort(lat)
			s.Max = lat[len(lat)-1]
			s.P99 = lat[len(lat)*99/100]
			slices.SortFunc(all, func(a, b Delay) int { return cmp.Compare(b.Took, a.Took) })
			s.Longest = all[:min(len(all), 20)]
		}
		out <- s
	}()
	return func() StallStats {
		s := <-out
		// The UI loop has stopped: its counters can be read here.
		s.Applies, s.ApplyMax = w.applies, w.applyMax
		return s
	}
}
