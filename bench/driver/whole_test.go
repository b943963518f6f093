package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The whole cold runs, on made-up wall times: nothing here times anything.

// fakeRuns returns a run that reports the walls in turn, or fails at
// failAt (from 0; -1 never), and counts its calls.
func fakeRuns(walls []time.Duration, failAt int, calls *int) func(context.Context) (*output, error) {
	return func(context.Context) (*output, error) {
		i := *calls
		*calls++
		if i == failAt {
			return &output{wall: walls[i]}, errors.New("coordinator: job failed (exit status 1)")
		}
		return &output{wall: walls[i]}, nil
	}
}

func TestMedianWall(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		walls []time.Duration
		want  time.Duration
	}{
		{[]time.Duration{150 * ms}, 150 * ms},
		{[]time.Duration{300 * ms, 100 * ms, 200 * ms}, 200 * ms},
		{[]time.Duration{100 * ms, 900 * ms, 120 * ms, 110 * ms, 130 * ms}, 120 * ms}, // one slow start does not move it
		{[]time.Duration{100 * ms, 200 * ms}, 150 * ms},
	} {
		calls := 0
		got, err := medianWall(context.Background(), len(tc.walls), fakeRuns(tc.walls, -1, &calls))
		if err != nil || got != tc.want || calls != len(tc.walls) {
			t.Errorf("medianWall of %v = %v, %v after %d runs; want %v after %d", tc.walls, got, err, calls, tc.want, len(tc.walls))
		}
	}

	calls := 0
	_, err := medianWall(context.Background(), 3, fakeRuns([]time.Duration{ms, ms, ms}, 1, &calls))
	if err == nil || calls != 2 {
		t.Errorf("medianWall with a failing second run: %v after %d runs; want its error after 2", err, calls)
	}
	if _, err := medianWall(context.Background(), 0, nil); err == nil {
		t.Error("medianWall of no runs returned no error")
	}
}

func TestWholeProbeIsTasksOverMedianWall(t *testing.T) {
	ms := time.Millisecond
	calls := 0
	p := wholeProbe("whole", "k", 100_000, 3, fakeRuns([]time.Duration{250 * ms, 200 * ms, 100 * ms}, -1, &calls))
	got, err := p.run(context.Background())
	if err != nil || got["k"] != 500_000 {
		t.Errorf("whole probe = %v, %v; want 100,000 tasks / 200 ms = 500,000/s", got, err)
	}
	calls = 0
	p = wholeProbe("whole", "k", 100_000, 3, fakeRuns([]time.Duration{ms, ms, ms}, 0, &calls))
	if got, err := p.run(context.Background()); err == nil {
		t.Errorf("whole probe with a failing run = %v, want its error", got)
	}
}

// The whole cold run is measured beside its anchor and judged on it as the
// other ratio targets are: its anchor is re-measured alone and checked.
func TestWholeFigureSitsBesideItsAnchor(t *testing.T) {
	for _, quick := range []bool{false, true} {
		c := config{quick: quick}
		c.scale()
		d := &driver{cfg: c}
		ps := d.probes()
		at := func(key string) int {
			return slices.IndexFunc(ps, func(p probe) bool { return slices.Contains(p.keys, key) })
		}
		if b, a := at(wholeKey), at(wholeAnchorKey); b < 0 || a != b+1 {
			t.Errorf("quick %v: whole run at probe %d, its anchor at %d; want the anchor right after", quick, b, a)
		}
		var f figure
		for _, sec := range c.sections() {
			for _, g := range sec.figures {
				if g.key == wholeKey {
					f = g
				}
			}
		}
		if f.anchor != wholeAnchorKey || f.target.kind != ratioAtLeast || f.unit.name != perSecond.name {
			t.Errorf("quick %v: whole figure %+v; want tasks/s with a ratio target on %s", quick, f, wholeAnchorKey)
		}
		if !slices.ContainsFunc(checkedAnchors(c.sections()), func(a anchorRef) bool { return a.key == wholeAnchorKey }) {
			t.Errorf("quick %v: %s is not among the checked anchors", quick, wholeAnchorKey)
		}
	}
}

func TestWholeTargetNotJudgedOnAnUnsteadyAnchor(t *testing.T) {
	var c config
	c.reps = 3
	c.scale()
	s := newSamples(3)
	for rep, a := range []float64{200e3, 600e3, 400e3} {
		s.put(wholeKey, rep, 2*a)
		s.put(wholeAnchorKey, rep, a)
	}
	s.alone[wholeAnchorKey] = 400e3
	now := time.Now()
	h := &host{started: now, finished: now.Add(time.Minute), reps: make([]repInfo, 3)}
	var b strings.Builder
	if err := writeReport(&b, c, h, s, false); err != nil {
		t.Fatal(err)
	}
	want := "0 B whole command, cold: tasks / wall from exec to exit (no -warmup; median of 5 runs) vs whole script, exec to exit: " +
		"Pool(2) + Pool.map default chunksize (pool_whole.py; median of 5): ratio 2.00× (per rep 2.00×–2.00×) → " +
		"≥ 3× not judged: the anchor varied 3.00× across 3 repetitions (200k/s–600k/s), over the 2× allowed"
	if !strings.Contains(b.String(), want) {
		t.Errorf("the report lacks %q:\n%s", want, b.String())
	}
}
