// Mode futex: FUTEX_WAKE of children blocked on a word in shared memory.

package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	// FUTEX_WAIT and FUTEX_WAKE without FUTEX_PRIVATE_FLAG, because the word
	// lives in memory shared between processes (futex(2)); x/sys/unix does
	// not name them.
	futexWaitOp = 0
	futexWakeOp = 1

	futexFD      = 5                      // the memfd, after the pipes on fds 3 and 4
	settle       = 2 * time.Millisecond   // barrier_bench.py's SETTLE
	pollEvery    = 200 * time.Microsecond // barrier_bench.py's polling sleep
	blockTimeout = 10 * time.Second       // a child that never blocks has died

	// Region layout: the futex word and the waiting counter on separate
	// cache lines so children bumping the counter do not disturb the word,
	// then the wake times.
	wordOff    = 0
	waitingOff = 64
	timesOff   = 128
)

// futexResult uses barrier_bench.py's field names so the two compare directly.
type futexResult struct {
	Bench      string  `json:"bench"`
	Kind       string  `json:"kind"`
	N          int     `json:"N"`
	Rounds     int     `json:"rounds"`
	SkewMedUs  float64 `json:"skew_med_us"`
	SkewP99Us  float64 `json:"skew_p99_us"`
	SkewMaxUs  float64 `json:"skew_max_us"`
	LatMedUs   float64 `json:"lat_med_us"`
	LatP99Us   float64 `json:"lat_p99_us"`
	LatMaxUs   float64 `json:"lat_max_us"`
	FirstMedUs float64 `json:"first_med_us"`
	hostLoad
}

func futexFlags(fs *flag.FlagSet, c *config) {
	intFlag(fs, &c.n, "n", 2, 64, "the `count` of children blocked on the futex word")
	intFlag(fs, &c.rounds, "rounds", 200, 100000, "the `count` of wake rounds")
}

// region is the memfd mapping shared by the parent and every child.
type region struct {
	mem     []byte
	word    *atomic.Uint32 // the futex word: the current round
	waiting *atomic.Int32  // children about to block in this round
	times   []int64        // CLOCK_MONOTONIC ns at wake, [round*N + child]
}

func regionLen(c *config) int { return timesOff + 8*c.n*c.rounds }

func newSharedFile(c *config) (*os.File, error) {
	fd, err := unix.MemfdCreate("rawpipe-futex", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "rawpipe-futex")
	if err := f.Truncate(int64(regionLen(c))); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func mapRegion(fd int, c *config) (*region, error) {
	mem, err := unix.Mmap(fd, 0, regionLen(c), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	return &region{
		mem:     mem,
		word:    (*atomic.Uint32)(unsafe.Pointer(&mem[wordOff])),
		waiting: (*atomic.Int32)(unsafe.Pointer(&mem[waitingOff])),
		times:   unsafe.Slice((*int64)(unsafe.Pointer(&mem[timesOff])), c.n*c.rounds),
	}, nil
}

func runFutex(ctx context.Context, l launcher, c *config) (any, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f, err := newSharedFile(c)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := mapRegion(int(f.Fd()), c)
	if err != nil {
		return nil, err
	}
	defer unix.Munmap(r.mem)
	kids := make([]*child, 0, c.n)
	// On failure children may be blocked in FUTEX_WAIT for good: cancelling
	// kills them (CommandContext) before stopAll waits.
	defer func() { cancel(); _ = stopAll(kids) }()
	for i := range c.n {
		k, err := l.start(ctx, c, i, f)
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	t0s, err := releaseRounds(ctx, r, c)
	if err != nil {
		return nil, err
	}
	if err := stopAll(kids); err != nil { // children exit after their last round
		return nil, err
	}
	return summarizeWakes(r, t0s, c), nil
}

// releaseRounds is barrier_bench.py's condition loop with a bare futex: wait
// until all children are blocked, settle, stamp t0, bump the word, wake all.
func releaseRounds(ctx context.Context, r *region, c *config) ([]int64, error) {
	t0s := make([]int64, c.rounds)
	for round := range c.rounds {
		if err := awaitBlocked(ctx, r, c.n); err != nil {
			return nil, fmt.Errorf("round %d: %w", round, err)
		}
		time.Sleep(settle)
		// No child can count itself for the next round before the bump
		// below wakes it, so resetting here cannot lose an arrival.
		r.waiting.Store(0)
		t0s[round] = monotonicNs()
		r.word.Store(uint32(round + 1))
		if err := futexWake(r.word); err != nil {
			return nil, fmt.Errorf("round %d: futex wake: %w", round, err)
		}
	}
	return t0s, nil
}

func awaitBlocked(ctx context.Context, r *region, n int) error {
	deadline := time.Now().Add(blockTimeout)
	for r.waiting.Load() != int32(n) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d children blocked after %v", r.waiting.Load(), n, blockTimeout)
		}
		time.Sleep(pollEvery)
	}
	return nil
}

func summarizeWakes(r *region, t0s []int64, c *config) futexResult {
	skew := make([]float64, c.rounds)
	lat := make([]float64, c.rounds)
	first := make([]float64, c.rounds)
	for round, t0 := range t0s {
		w := r.times[round*c.n : (round+1)*c.n]
		lo, hi := slices.Min(w), slices.Max(w)
		skew[round] = float64(hi-lo) / 1e3
		lat[round] = float64(hi-t0) / 1e3
		first[round] = float64(lo-t0) / 1e3
	}
	s, l := summarize(skew), summarize(lat)
	return futexResult{"futex_wake", "futex", c.n, c.rounds,
		round(s.med, 1), round(s.p99, 1), round(s.max, 1),
		round(l.med, 1), round(l.p99, 1), round(l.max, 1),
		round(summarize(first).med, 1), readHostLoad()}
}

func childFutex(c *config, index int) error {
	if index >= c.n {
		return fmt.Errorf("index %d out of range for -n %d", index, c.n)
	}
	r, err := mapRegion(futexFD, c)
	if err != nil {
		return err
	}
	defer unix.Munmap(r.mem)
	for round := range c.rounds {
		r.waiting.Add(1)
		for r.word.Load() == uint32(round) {
			if err := futexWait(r.word, uint32(round)); err != nil {
				return fmt.Errorf("futex wait: %w", err)
			}
		}
		atomic.StoreInt64(&r.times[round*c.n+index], monotonicNs())
	}
	return nil
}

// futexWait blocks while *word == val. EAGAIN (the word already changed) and
// EINTR are not errors: the caller re-checks the word.
func futexWait(word *atomic.Uint32, val uint32) error {
	_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWaitOp, uintptr(val), 0, 0, 0)
	if e != 0 && e != unix.EAGAIN && e != unix.EINTR {
		return e
	}
	return nil
}

func futexWake(word *atomic.Uint32) error {
	_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWakeOp, math.MaxInt32, 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// monotonicNs reads CLOCK_MONOTONIC, the clock barrier_bench.py uses in every
// process. time.Now's monotonic reading is relative to a per-process base, so
// it cannot be compared across processes.
func monotonicNs() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // cannot fail for CLOCK_MONOTONIC
	return ts.Nano()
}
