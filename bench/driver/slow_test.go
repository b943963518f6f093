package main

import (
	"strconv"
	"strings"
	"testing"
)

// The slower-task figures, at both scales: nothing here runs a probe.

func TestSlowJobsAreBuiltInWithCounts(t *testing.T) {
	full, quick := bothScales()[0], bothScales()[1]
	for _, j := range slowJobs {
		if defaultSize(j.name) <= 0 { // panics for a job that is not built in
			t.Errorf("%s: default size %d", j.name, defaultSize(j.name))
		}
		if f, q := full.slowTasks[j.name], quick.slowTasks[j.name]; q < 1 || q >= f {
			t.Errorf("%s: %d tasks, %d under -quick; want fewer, and some, under -quick", j.name, f, q)
		}
	}
}

// Each job runs with automatic batching, then -batch 1 (then thread mode)
// right after it, at the job's default size and the configured count, and
// its rows state that count and size and have no target.
func TestSlowFiguresSitBesideTheirAnchors(t *testing.T) {
	for _, c := range bothScales() {
		ps := (&driver{cfg: c}).probes()
		for _, j := range slowJobs {
			n, size := c.slowTasks[j.name], defaultSize(j.name)
			auto, ai := probeOf(ps, slowKey(j.name, "auto"))
			b1, bi := probeOf(ps, slowKey(j.name, "b1"))
			if ai < 0 || bi != ai+1 {
				t.Errorf("quick %v: %s auto at probe %d, -batch 1 at %d; want it right after", c.quick, j.name, ai, bi)
			}
			wantName := "brine " + j.name + " ×" + strconv.Itoa(n) + " -size " + strconv.FormatInt(size, 10) + " -warmup 8"
			if auto.name != wantName || b1.name != wantName+" -batch 1" {
				t.Errorf("quick %v: probes %q and %q, want %q and the same with -batch 1", c.quick, auto.name, b1.name, wantName)
			}
			rows := []string{slowKey(j.name, "b1")}
			if j.thread {
				th, ti := probeOf(ps, slowKey(j.name, "thread"))
				if ti != bi+1 || th.name != wantName+" -mode thread" || modeOf(strings.Fields(th.name)) != "thread" {
					t.Errorf("quick %v: %s thread mode probe %q at %d; want %q at %d", c.quick, j.name, th.name, ti, wantName+" -mode thread", bi+1)
				}
				rows = append(rows, slowKey(j.name, "thread"))
			}
			for _, anchor := range rows {
				f, _, ok := figureOf(c, slowKey(j.name, "auto"), anchor)
				switch {
				case !ok:
					t.Errorf("quick %v: no row of %s against %s", c.quick, j.name, anchor)
				case !strings.Contains(f.name, thousands(n)+" ") || !strings.Contains(f.name, thousands(int(size))):
					t.Errorf("quick %v: row %q does not state %s tasks of size %d", c.quick, f.name, thousands(n), size)
				case f.target.kind != noTarget:
					t.Errorf("quick %v: row %q has a target, %q", c.quick, f.name, f.target.text)
				}
			}
		}
	}
}

func TestModeOf(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, "process"},
		{[]string{"-size", "0", "-batch", "1"}, "process"},
		{[]string{"-mode", "thread", "-warmup", "8"}, "thread"},
		{[]string{"-mode", "thread", "-mode", "process"}, "process"}, // the last wins, as in package flag
		{[]string{"-warmup", "8", "-mode"}, "process"},               // no value: the coordinator refuses it anyway
	} {
		if got := modeOf(tc.flags); got != tc.want {
			t.Errorf("modeOf(%q) = %q, want %q", tc.flags, got, tc.want)
		}
	}
}
