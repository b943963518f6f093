package main

import (
	"context"
	"fmt"
	"time"
)

// remeasure runs once more, after the repetitions, each probe that yields
// an anchor of a ratio target, one at a time with nothing else of the bench
// running, and records its values as those anchors' quiet re-measures, with
// the CPU pressure while it ran. checkAnchor compares them with the
// anchors' medians: an anchor slowed (or sped up) throughout the
// repetitions shows no spread of its own, but disagrees with itself alone.
// Probes disabled during the repetitions are not run again.
func (d *driver) remeasure(ctx context.Context, s *samples, probes []probe, disabled map[string]string) {
	want := map[string]bool{}
	for _, a := range checkedAnchors(d.cfg.sections()) {
		want[a.key] = true
	}
	for _, p := range probes {
		var keys []string
		for _, k := range p.keys {
			if want[k] {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		why, skip := disabled[p.name]
		if ctx.Err() != nil {
			why, skip = "skipped: interrupted", true
		}
		if skip {
			for _, k := range keys {
				s.aloneWhy[k] = why
			}
			continue
		}
		fmt.Fprintf(d.log, "[alone] %s … ", p.name)
		before := readPressure()
		vals, took, err := d.once(ctx, p)
		busy := stalled(before, readPressure())
		for _, k := range keys {
			s.alonePSI[k] = busy
			if err != nil {
				s.aloneWhy[k] = err.Error()
			} else {
				s.alone[k] = vals[k]
			}
		}
		if err != nil {
			fmt.Fprintf(d.log, "n/a after %v: %s\n", took.Round(10*time.Millisecond), reason(err.Error()))
			continue
		}
		fmt.Fprintf(d.log, "%v, CPU pressure %s\n", took.Round(10*time.Millisecond), percent(busy))
	}
}
