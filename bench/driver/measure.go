package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// probe is one measurement, made once per repetition. It yields a value
// for each of its keys, or an error that every key then shows.
type probe struct {
	name    string
	keys    []string
	timeout time.Duration
	run     func(ctx context.Context) (map[string]float64, error)
}

// repInfo is how one repetition went: how long it took and how busy the
// machine was, so that noisy repetitions can be spotted.
type repInfo struct {
	took               time.Duration
	psiStart, psiEnd   pressure
	measured, failures int
}

// pressure says how busy the CPUs were during the repetition.
func (r repInfo) pressure() string {
	return fmt.Sprintf("CPU pressure (/proc/pressure/cpu): some task waited for a CPU %s of the time (avg10 %s → %s)",
		percent(stalled(r.psiStart, r.psiEnd)), percent(r.psiStart.avg10OrNone()), percent(r.psiEnd.avg10OrNone()))
}

// measure makes every probe once per repetition, in order, repetition after
// repetition, then re-measures alone the anchors that targets rest on. A
// probe that times out is not repeated: it would only cost the same time
// again. No repetition starts that would likely end past the budget, and
// once the budget is spent the remaining probes are skipped; the quiet
// re-measures come after the budget.
func (d *driver) measure(ctx context.Context) (*samples, []repInfo) {
	c := d.cfg
	s := newSamples(c.reps)
	probes := d.probes()
	disabled := map[string]string{} // probe name -> why it is skipped
	start := time.Now()
	var reps []repInfo
	for rep := range c.reps {
		if ctx.Err() != nil {
			break
		}
		if rep > 0 {
			elapsed := time.Since(start)
			if next := elapsed + elapsed/time.Duration(rep); next > c.budget {
				fmt.Fprintf(d.log, "bench: stopping after %d repetitions: another would end near %v, past the %v budget\n",
					rep, next.Round(time.Second), c.budget)
				break
			}
		}
		info := repInfo{psiStart: readPressure()}
		repStart := time.Now()
		for i, p := range probes {
			if why, ok := disabled[p.name]; ok {
				for _, k := range p.keys {
					s.fail(k, why)
				}
				continue
			}
			if time.Since(start) > c.budget || ctx.Err() != nil {
				for _, k := range p.keys {
					s.fail(k, "skipped: time budget spent or interrupted")
				}
				continue
			}
			fmt.Fprintf(d.log, "[rep %d/%d %2d/%d] %s … ", rep+1, c.reps, i+1, len(probes), p.name)
			vals, took, err := d.once(ctx, p)
			for _, k := range p.keys {
				if err != nil {
					s.fail(k, err.Error())
				} else {
					s.put(k, rep, vals[k])
				}
			}
			info.measured++
			if err != nil {
				info.failures++
				fmt.Fprintf(d.log, "n/a after %v: %s\n", took.Round(10*time.Millisecond), reason(err.Error()))
				if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
					disabled[p.name] = fmt.Sprintf("skipped: timed out after %v in rep %d", p.timeout, rep+1)
				}
				continue
			}
			fmt.Fprintf(d.log, "%v\n", took.Round(10*time.Millisecond))
		}
		info.took, info.psiEnd = time.Since(repStart), readPressure()
		reps = append(reps, info)
		fmt.Fprintf(d.log, "bench: repetition %d took %v; %s\n", rep+1, info.took.Round(time.Second), info.pressure())
	}
	s.ran = len(reps)
	if len(reps) > 0 {
		d.remeasure(ctx, s, probes, disabled)
	}
	return s, reps
}

// once runs a probe under its timeout and returns its values, which must
// hold a finite number for each of its keys.
func (d *driver) once(ctx context.Context, p probe) (map[string]float64, time.Duration, error) {
	pctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := time.Now()
	vals, err := p.run(pctx)
	took := time.Since(start)
	if err == nil {
		for _, k := range p.keys {
			if v, ok := vals[k]; !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				err = fmt.Errorf("no value for %s (got %v)", k, slices.Sorted(maps.Keys(vals)))
				break
			}
		}
	}
	if err != nil && pctx.Err() != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return vals, took, err
}
