package main

import (
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
