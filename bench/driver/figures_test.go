package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The table and the probes agree, at both scales: nothing here runs a probe.

// bothScales returns the configuration of a full run and of a quick one.
func bothScales() []config {
	var out []config
	for _, quick := range []bool{false, true} {
		c := config{quick: quick, reps: 5}
		c.scale()
		out = append(out, c)
	}
	return out
}

// A probe that times out is skipped by name in the later repetitions, and
// each figure is filled by the one probe with its key: names and keys must
// not repeat, and every figure and anchor in the table must be measured.
func TestProbesFillTheTable(t *testing.T) {
	for _, c := range bothScales() {
		d := &driver{cfg: c}
		names, keys := map[string]bool{}, map[string]bool{}
		for _, p := range d.probes() {
			if names[p.name] {
				t.Errorf("quick %v: two probes named %q", c.quick, p.name)
			}
			names[p.name] = true
			for _, k := range p.keys {
				if keys[k] {
					t.Errorf("quick %v: two probes yield %s", c.quick, k)
				}
				keys[k] = true
			}
		}
		for _, sec := range c.sections() {
			for _, f := range sec.figures {
				if !keys[f.key] {
					t.Errorf("quick %v: no probe yields %s, the figure %q", c.quick, f.key, f.name)
				}
				if f.anchor != "" && !keys[f.anchor] {
					t.Errorf("quick %v: no probe yields %s, the anchor of %q", c.quick, f.anchor, f.name)
				}
			}
		}
	}
}

// figureOf finds the figure with key and anchor in the table.
func figureOf(c config, key, anchor string) (figure, string, bool) {
	for _, sec := range c.sections() {
		for _, f := range sec.figures {
			if f.key == key && f.anchor == anchor {
				return f, sec.title, true
			}
		}
	}
	return figure{}, "", false
}

// probeOf finds the probe that yields key, and its place in the order.
func probeOf(ps []probe, key string) (probe, int) {
	i := slices.IndexFunc(ps, func(p probe) bool { return slices.Contains(p.keys, key) })
	if i < 0 {
		return probe{}, -1
	}
	return ps[i], i
}

// The million-task figure shrinks under -quick as the other counts do, and
// its row, its section and both its probes state the count used.
func TestManyTasksFigureStatesItsCount(t *testing.T) {
	scales := bothScales()
	if full, quick := scales[0].manyTasks, scales[1].manyTasks; full != 1_000_000 || quick >= full {
		t.Errorf("manyTasks = %d, quick %d; want 1,000,000 and fewer under -quick", full, quick)
	}
	for _, c := range scales {
		f, title, ok := figureOf(c, manyKey, manyAnchorKey)
		if !ok {
			t.Fatalf("quick %v: no figure of %s against %s", c.quick, manyKey, manyAnchorKey)
		}
		n := thousands(c.manyTasks)
		if !strings.Contains(f.name, n) || !strings.Contains(f.anchorName, n) || !strings.Contains(title, n) {
			t.Errorf("quick %v: %q against %q under %q does not state %s tasks", c.quick, f.name, f.anchorName, title, n)
		}
		if f.target.kind != ratioAtLeast || f.target.limit != 3 {
			t.Errorf("quick %v: target %+v, want ≥ 3×", c.quick, f.target)
		}
		ps := (&driver{cfg: c}).probes()
		b, bi := probeOf(ps, manyKey)
		a, ai := probeOf(ps, manyAnchorKey)
		count := strconv.Itoa(c.manyTasks)
		if !strings.Contains(b.name, count) || !strings.Contains(a.name, count) {
			t.Errorf("quick %v: probes %q and %q do not both run %s tasks", c.quick, b.name, a.name, count)
		}
		if ai != bi+1 {
			t.Errorf("quick %v: brine at probe %d, its anchor at %d; want the anchor right after", c.quick, bi, ai)
		}
		if !slices.ContainsFunc(checkedAnchors(c.sections()), func(r anchorRef) bool { return r.key == manyAnchorKey }) {
			t.Errorf("quick %v: %s is not among the checked anchors", c.quick, manyAnchorKey)
		}
	}
}

func TestDefaultChunksize(t *testing.T) {
	for _, tc := range []struct{ n, workers, want int }{
		{1_000_000, 2, 125_000},
		{100_000, 2, 12_500},
		{100_001, 2, 12_501}, // rounded up, as divmod and += 1
		{7, 2, 1},
		{0, 2, 0},
	} {
		if got := defaultChunksize(tc.n, tc.workers); got != tc.want {
			t.Errorf("defaultChunksize(%d, %d) = %d, want %d", tc.n, tc.workers, got, tc.want)
		}
	}
}
