// Mode spawn: process start to the children's first byte.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"
)

type spawnResult struct {
	Bench         string  `json:"bench"`
	N             int     `json:"n"`
	Reps          int     `json:"reps"`
	MedianMs      float64 `json:"median_ms"` // start of the first exec to the last child's first byte
	P99Ms         float64 `json:"p99_ms"`
	MinMs         float64 `json:"min_ms"`
	MaxMs         float64 `json:"max_ms"`
	FirstMedianMs float64 `json:"first_median_ms"` // to the earliest child's first byte
	BinaryBytes   int64   `json:"binary_bytes"`    // spawn cost grows with the executable
	hostLoad
}

func spawnFlags(fs *flag.FlagSet, c *config) {
	intFlag(fs, &c.n, "n", 2, 256, "the `count` of children started per repetition")
	intFlag(fs, &c.reps, "reps", 20, 100000, "the `count` of repetitions")
}

func runSpawn(ctx context.Context, l launcher, c *config) (any, error) {
	all := make([]float64, c.reps)
	first := make([]float64, c.reps)
	for r := range c.reps {
		a, f, err := spawnOnce(ctx, l, c)
		if err != nil {
			return nil, err
		}
		all[r], first[r] = a.Seconds()*1e3, f.Seconds()*1e3
	}
	var size int64
	if fi, err := os.Stat(l.exe); err == nil {
		size = fi.Size()
	}
	s := summarize(all)
	return spawnResult{"spawn_first_byte", c.n, c.reps, round(s.med, 3), round(s.p99, 3),
		round(s.min, 3), round(s.max, 3), round(summarize(first).med, 3), size, readHostLoad()}, nil
}

// spawnOnce starts c.n children one after another, as a pool does, and
// returns the time until every child's first byte arrived and until the
// earliest did. All children have exited when it returns.
func spawnOnce(ctx context.Context, l launcher, c *config) (all, first time.Duration, err error) {
	kids := make([]*child, 0, c.n)
	got := make([]time.Duration, c.n)
	errs := make([]error, c.n)
	var wg sync.WaitGroup
	begin := time.Now()
	for i := range c.n {
		k, err := l.start(ctx, c, i)
		if err != nil {
			// Stopping first ends the readers below even if a child hangs.
			err = errors.Join(err, stopAll(kids))
			wg.Wait()
			return 0, 0, err
		}
		kids = append(kids, k)
		// One reader per child, so an early child's byte is timed when it
		// arrives, not after the later children have been started.
		wg.Go(func() {
			var b [1]byte
			if _, err := io.ReadFull(k.out, b[:]); err != nil {
				errs[i] = fmt.Errorf("child %d first byte: %w", i, err)
			}
			got[i] = time.Since(begin)
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, stopAll(kids))...); err != nil {
		return 0, 0, err
	}
	return slices.Max(got), slices.Min(got), nil
}

// childSpawn writes its first byte as soon as flags are parsed, then idles
// until the parent closes its input, like a worker awaiting tasks.
func childSpawn(_ *config, _ int) error {
	in, out := childFiles()
	if _, err := out.Write([]byte{1}); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, in)
	return err
}
