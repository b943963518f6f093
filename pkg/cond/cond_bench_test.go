package cond_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/brinehq/brine/pkg/cond"
)

// Wake-all latency of a barrier release: from the last party's arrival to
// the last party's return ("release-ns"), and the spread of return times
// ("skew-ns"), stamped with cond.Now. Run with -bench Barrier.
func BenchmarkBarrierRelease(b *testing.B) {
	for _, im := range impls {
		for _, parties := range []int{2, 4} {
			b.Run(fmt.Sprintf("%s/parties=%d", im.name, parties), func(b *testing.B) {
				benchBarrier(b, im.newBarrier(b, parties), parties)
			})
		}
	}
}

func benchBarrier(b *testing.B, bar cond.Barrier, parties int) {
	ctx := context.Background()
	before := make([][]int64, parties)
	after := make([][]int64, parties)
	var g group
	b.ResetTimer()
	for p := range parties {
		before[p], after[p] = make([]int64, b.N), make([]int64, b.N)
		g.Go(func() {
			for i := range b.N {
				before[p][i] = cond.Now()
				if _, _, err := bar.Wait(ctx); err != nil {
					b.Error(err)
					return
				}
				after[p][i] = cond.Now()
			}
		})
	}
	g.Wait(b)
	b.StopTimer()
	reportSpread(b, before, after)
}

// Wake-all latency of NotifyAll: from the notify to the last waiter's
// return from Wait, and the spread of those returns. Run with -bench Notify.
func BenchmarkNotifyAll(b *testing.B) {
	for _, im := range impls {
		for _, waiters := range []int{1, 3} {
			b.Run(fmt.Sprintf("%s/waiters=%d", im.name, waiters), func(b *testing.B) {
				benchNotifyAll(b, im.newCond(b), im.newCond(b), waiters)
			})
		}
	}
}

// benchNotifyAll times c.NotifyAll; waiters report on ready when queued,
// so the notifier neither polls nor competes with them for the CPU.
func benchNotifyAll(b *testing.B, c, ready cond.Cond, waiters int) {
	ctx := context.Background()
	var round int  // guarded by c
	var queued int // guarded by ready
	sent, woke := [][]int64{make([]int64, b.N)}, make([][]int64, waiters)
	var g group
	b.ResetTimer()
	for w := range waiters {
		woke[w] = make([]int64, b.N)
		g.Go(func() {
			for i := range b.N {
				_ = c.Lock(ctx)
				_ = ready.Lock(ctx)
				queued++
				ready.Notify(1)
				ready.Unlock()
				_, _ = c.WaitFor(ctx, func() bool { return round > i })
				c.Unlock()
				woke[w][i] = cond.Now()
			}
		})
	}
	for i := range b.N {
		_ = ready.Lock(ctx)
		_, _ = ready.WaitFor(ctx, func() bool { return queued == waiters*(i+1) })
		ready.Unlock()
		_ = c.Lock(ctx) // granted once every waiter sits in Wait
		round++
		sent[0][i] = cond.Now()
		c.NotifyAll()
		c.Unlock()
	}
	g.Wait(b)
	b.StopTimer()
	reportSpread(b, sent, woke)
}

// reportSpread reports, averaged over rounds, the time from the latest
// start stamp to the latest end stamp and the spread of the end stamps.
func reportSpread(b *testing.B, start, end [][]int64) {
	var release, skew float64
	for i := range b.N {
		col := func(s [][]int64) []int64 {
			out := make([]int64, len(s))
			for p := range s {
				out[p] = s[p][i]
			}
			return out
		}
		e := col(end)
		release += float64(slices.Max(e) - slices.Max(col(start)))
		skew += float64(slices.Max(e) - slices.Min(e))
	}
	b.ReportMetric(release/float64(b.N), "release-ns")
	b.ReportMetric(skew/float64(b.N), "skew-ns")
}
