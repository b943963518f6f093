package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/brinehq/brine/pkg/pool"
)

// What is measured, in which order, and how each figure is judged.

var payloads = []struct {
	size int
	kind string // pool_bench.py's name for the shape
	name string
}{{0, "trivial", "0 B"}, {4096, "payload", "4 KiB"}}

func echoKey(size int, variant string) string { return fmt.Sprintf("brine.echo%d.%s", size, variant) }
func poolKey(kind, name string) string        { return "py." + kind + "." + name }

// The whole cold run of echo 0 B and its anchor, the whole of pool_whole.py.
var wholeKey, wholeAnchorKey = echoKey(0, "whole"), poolKey("trivial", "pool_whole")

// A long run of trivial tasks, a million outside -quick, and its anchor.
var manyKey, manyAnchorKey = echoKey(0, "auto.many"), poolKey("trivial", "pool_default.many")

// probes lists one repetition's measurements. Each brine measurement sits
// beside its anchors, so drift within a repetition hits both alike.
func (d *driver) probes() []probe {
	c := d.cfg
	var ps []probe
	for _, p := range payloads {
		ps = append(ps,
			d.throughputProbe(echoKey(p.size, "b1"), c.tasks, p.size, "-batch", "1"),
			d.poolProbe(poolKey(p.kind, "pool_cs1"), p.kind, "pool", "map_cs1", c.cs1Tasks(p.size)),
			d.throughputProbe(echoKey(p.size, "auto"), c.tasks, p.size),
			d.poolProbe(poolKey(p.kind, "pool_default"), p.kind, "pool", "map_default", c.tasks),
		)
		if p.size == 0 {
			ps = append(ps,
				d.echoProbe(echoKey(p.size, "cold"), c.tasks, p.size),
				d.coordinatorWholeProbe(wholeKey),
				d.pythonWholeProbe(wholeAnchorKey),
			)
		}
		ps = append(ps,
			d.throughputProbe(echoKey(p.size, "thread"), c.tasks, p.size, "-mode", "thread"),
			d.poolProbe(poolKey(p.kind, "threadpool"), p.kind, "threadpool", "map_default", c.tasks),
			d.poolProbe(poolKey(p.kind, "ppe"), p.kind, "ppe", "map_cs1", c.ppeTasks),
		)
	}
	ps = append(ps,
		d.throughputProbe(manyKey, c.manyTasks, 0),
		d.poolProbe(manyAnchorKey, "trivial", "pool", "map_default", c.manyTasks),
	)
	ps = append(ps, d.slowProbes()...)
	ps = append(ps,
		d.rttProbe("raw.rtt.blocking", true),
		d.roundTripProbe("brine.rtt"),
		d.rttProbe("raw.rtt.poll", false),
		d.roundTripProbe("brine.rtt.nospin", pool.WithSpin(0)),
		d.pipeThroughputProbe("raw.pipe.poll", false),
		d.payloadProbe("brine.mib"),
		d.pipeThroughputProbe("raw.pipe.blocking", true),
		d.rawSpawnProbe("raw.spawn.2", 2),
		d.spawnProbe("brine.spawn.2", 2),
		d.firstProbe("py.first"),
		d.rawSpawnProbe("raw.spawn.8", 8),
		d.spawnProbe("brine.spawn.8", 8),
		d.rssProbe("brine.rss"),
		d.throughputProbe(echoKey(0, "auto.plugin"), c.tasks, 0, "-transport", "plugin"),
		d.pluginRoundTripProbe("brine.rtt.plugin"),
		d.spawnProbe("brine.spawn.2.plugin", 2, "-transport", "plugin"),
		d.spawnProbe("brine.spawn.8.plugin", 8, "-transport", "plugin"),
		d.throughputProbe(echoKey(0, "auto.metrics"), c.tasks, 0, "-metrics", "127.0.0.1:0"),
		d.throughputProbe(echoKey(0, "auto.trace"), c.tasks, 0, "-trace", os.DevNull),
		d.throughputProbe(echoKey(0, "auto.nats"), c.tasks, 0, "-transport", "nats"),
		d.natsRoundTripProbe("brine.rtt.nats"),
		d.natsBarrierProbe("brine.barrier.nats.2", 2),
	)
	for _, n := range c.barrierN {
		ps = append(ps,
			d.futexProbe(fmt.Sprintf("raw.futex.%d", n), n),
			d.barrierProbe(fmt.Sprintf("brine.barrier.%d", n), n, "0"),
			d.barrierProbe(fmt.Sprintf("brine.barrier.spin.%d", n), n, spinFlag),
			d.wakeProbe(fmt.Sprintf("py.condition.%d", n), "condition", n),
			d.wakeProbe(fmt.Sprintf("py.barrier.%d", n), "barrier", n),
		)
	}
	if c.only != "" {
		ps = slices.DeleteFunc(ps, func(p probe) bool {
			return !slices.ContainsFunc(p.keys, func(k string) bool {
				return slices.ContainsFunc(strings.Split(c.only, ","), func(o string) bool { return strings.Contains(k, o) })
			})
		})
	}
	return ps
}

// cs1Tasks is the task count of Pool.map chunksize 1 for a payload size.
func (c config) cs1Tasks(size int) int {
	if size > 0 {
		return c.cs1Payload
	}
	return c.tasks
}

// sections lays out the table and the performance targets.
func (c config) sections() []section {
	var out []section
	for _, p := range payloads {
		var sec section
		sec.title = fmt.Sprintf("echo %s, %s tasks, 2 workers: tasks/s (coordinator CLI -warmup %d; Python: pool_bench.py %s, warmed alike)",
			p.name, thousands(c.tasks), poolWarmup, p.kind)
		cs1 := "Pool.map chunksize=1"
		if n := c.cs1Tasks(p.size); n != c.tasks {
			cs1 += fmt.Sprintf(" (%s tasks)", thousands(n))
		}
		b1 := figure{name: p.name + " per-task frames (-batch 1)", key: echoKey(p.size, "b1"), unit: perSecond,
			anchorName: cs1, anchor: poolKey(p.kind, "pool_cs1")}
		auto := figure{name: p.name + " automatic batching", key: echoKey(p.size, "auto"), unit: perSecond,
			anchorName: "Pool.map default chunksize", anchor: poolKey(p.kind, "pool_default")}
		if p.size == 0 {
			b1.target = target{ratioAtLeast, 60, "≥ 60×"}
			auto.target = target{ratioAtLeast, 3, "≥ 3×"}
		}
		sec.figures = []figure{b1,
			{name: p.name + " per-task frames (-batch 1)", key: echoKey(p.size, "b1"), unit: perSecond,
				anchorName: fmt.Sprintf("ProcessPoolExecutor.map cs=1 (%s tasks)", thousands(c.ppeTasks)),
				anchor:     poolKey(p.kind, "ppe")},
			auto,
		}
		if p.size == 0 {
			sec.figures = append(sec.figures, figure{name: p.name + " automatic batching, cold pool (no -warmup)",
				key: echoKey(p.size, "cold"), unit: perSecond,
				anchorName: "Pool.map default chunksize (warmed)", anchor: poolKey(p.kind, "pool_default")},
				wholeFigure(c))
		}
		sec.figures = append(sec.figures, figure{name: p.name + " thread mode", key: echoKey(p.size, "thread"), unit: perSecond,
			anchorName: "ThreadPool.map", anchor: poolKey(p.kind, "threadpool")})
		out = append(out, sec)
	}
	out = append(out, manySection(c), slowSection(c),
		section{"Round trip and payloads (raw anchors: bin/rawpipe, 2 processes)", []figure{
			{name: "one task's round trip, unloaded pool of 1", key: "brine.rtt", unit: micros,
				anchorName: "raw pipe RTT 64 B, blocking", anchor: "raw.rtt.blocking",
				target: target{ratioAtMost, 1.5, "≤ 1.5×"}},
			{name: "one task's round trip, unloaded pool of 1", key: "brine.rtt", unit: micros,
				anchorName: "raw pipe RTT 64 B, Go poller", anchor: "raw.rtt.poll"},
			{name: "one task's round trip, unloaded pool of 1, no polling (WithSpin(0))", key: "brine.rtt.nospin", unit: micros,
				anchorName: "raw pipe RTT 64 B, blocking", anchor: "raw.rtt.blocking"},
			{name: fmt.Sprintf("echo 1 MiB × %d, 2 workers", c.mibTasks), key: "brine.mib", unit: mbps,
				anchorName: "raw pipe 64 KiB writes, Go poller", anchor: "raw.pipe.poll",
				target: target{ratioAtLeast, 0.7, "≥ 0.7× (70 %)"}},
			{name: fmt.Sprintf("echo 1 MiB × %d, 2 workers", c.mibTasks), key: "brine.mib", unit: mbps,
				anchorName: "raw pipe 64 KiB writes, blocking", anchor: "raw.pipe.blocking"},
		}},
		section{"Start-up and memory", []figure{
			{name: "2 workers ready", key: "brine.spawn.2", unit: millis,
				anchorName: "rawpipe spawn -n 2", anchor: "raw.spawn.2"},
			{name: "2 workers ready", key: "brine.spawn.2", unit: millis,
				anchorName: "Python Pool(2) + first result", anchor: "py.first"},
			{name: "8 workers ready", key: "brine.spawn.8", unit: millis,
				anchorName: "rawpipe spawn -n 8", anchor: "raw.spawn.8",
				target: target{valueAtMost, 20, "≤ 20 ms"}},
			{name: fmt.Sprintf("coordinator peak RSS, %s tasks, -report FILE", thousands(c.streamTasks)),
				key: "brine.rss", unit: mib, target: target{valueAtMost, 64, "≤ 64 MiB"}},
		}},
	)
	out = append(out, pluginSection(c), observeSection(c), natsSection(c))
	for _, n := range c.barrierN {
		out = append(out, barrierSection(c, n))
	}
	return out
}

// wholeFigure is a cold run as someone who runs it once waits for it: the
// whole command against the whole script, each timed from exec to exit,
// shown as tasks over that wall time.
func wholeFigure(c config) figure {
	return figure{name: fmt.Sprintf("0 B whole command, cold: tasks / wall from exec to exit (no -warmup; median of %d runs)", c.spawnReps),
		key: wholeKey, unit: perSecond,
		anchorName: fmt.Sprintf("whole script, exec to exit: Pool(2) + Pool.map default chunksize (pool_whole.py; median of %d)", c.spawnReps),
		anchor:     wholeAnchorKey, target: target{ratioAtLeast, 3, "≥ 3×"}}
}

// manySection is echo 0 B at a million tasks (fewer under -quick), where
// Pool.map's default chunksize, n/(4·workers), grows with the count.
func manySection(c config) section {
	n := thousands(c.manyTasks)
	return section{fmt.Sprintf("echo 0 B, %s tasks, 2 workers: tasks/s (coordinator CLI -warmup %d; Python: pool_anchor.py trivial pool:map_default:%d, warmed alike)",
		n, poolWarmup, c.manyTasks), []figure{
		{name: fmt.Sprintf("0 B × %s automatic batching", n), key: manyKey, unit: perSecond,
			anchorName: fmt.Sprintf("Pool.map default chunksize (%s tasks)", n), anchor: manyAnchorKey,
			target: target{ratioAtLeast, 3, "≥ 3×"}},
	}}
}

// defaultChunksize is the chunksize Pool.map picks for n tasks on a pool
// of workers: n/(4·workers), rounded up (multiprocessing.pool's _map_async).
func defaultChunksize(n, workers int) int {
	return (n + 4*workers - 1) / (4 * workers)
}

// pluginSection sets the go-plugin transport beside pipes, brine's default:
// each figure's anchor is the same measure over pipes in the same
// repetition.
func pluginSection(c config) section {
	return section{"plugin transport (-transport plugin: hashicorp/go-plugin, net/rpc) beside pipes", []figure{
		{name: fmt.Sprintf("plugin: echo 0 B × %s automatic batching, 2 workers (-warmup %d)", thousands(c.tasks), poolWarmup),
			key: echoKey(0, "auto.plugin"), unit: perSecond,
			anchorName: "the same over pipes", anchor: echoKey(0, "auto"),
			target: target{ratioAtLeast, 0.5, "≥ 0.5×"}},
		{name: "plugin: one task's round trip, unloaded pool of 1", key: "brine.rtt.plugin", unit: micros,
			anchorName: "the same over pipes", anchor: "brine.rtt"},
		{name: "plugin: 2 workers ready", key: "brine.spawn.2.plugin", unit: millis,
			anchorName: "the same over pipes", anchor: "brine.spawn.2"},
		{name: "plugin: 8 workers ready", key: "brine.spawn.8.plugin", unit: millis,
			anchorName: "the same over pipes", anchor: "brine.spawn.8"},
	}}
}

// observeSection sets runs observed (-metrics, -trace) beside the same
// runs unobserved, measured in the same repetition: what watching a run
// costs it. The trace is written to /dev/null, after the timed run.
func observeSection(c config) section {
	name := fmt.Sprintf("echo 0 B × %s automatic batching, 2 workers (-warmup %d)", thousands(c.tasks), poolWarmup)
	return section{"observed runs (-metrics, -trace) beside unobserved ones", []figure{
		{name: name + ", -metrics 127.0.0.1:0", key: echoKey(0, "auto.metrics"), unit: perSecond,
			anchorName: "the same without", anchor: echoKey(0, "auto")},
		{name: name + ", -trace", key: echoKey(0, "auto.trace"), unit: perSecond,
			anchorName: "the same without", anchor: echoKey(0, "auto")},
	}}
}

func barrierSection(c config, n int) section {
	b, f := fmt.Sprintf("brine.barrier.%d", n), fmt.Sprintf("raw.futex.%d", n)
	spun := fmt.Sprintf("brine.barrier.spin.%d", n)
	cond, bar := fmt.Sprintf("py.condition.%d", n), fmt.Sprintf("py.barrier.%d", n)
	lat := figure{name: fmt.Sprintf("N=%d release latency, median", n), key: b + ".lat_med", unit: micros,
		anchorName: "raw futex wake-all", anchor: f + ".lat_med"}
	latCond := figure{name: fmt.Sprintf("N=%d release latency, median", n), key: b + ".lat_med", unit: micros,
		anchorName: "mp.Condition.notify_all", anchor: cond + ".lat_med"}
	spinName := fmt.Sprintf("N=%d release latency, median, waiters spinning (-spin %s)", n, spinFlag)
	spin := figure{name: spinName, key: spun + ".lat_med", unit: micros,
		anchorName: "raw futex wake-all", anchor: f + ".lat_med"}
	spinCond := figure{name: spinName, key: spun + ".lat_med", unit: micros,
		anchorName: "mp.Condition.notify_all", anchor: cond + ".lat_med"}
	if n == 2 {
		lat.target = target{ratioAtMost, 1.5, "≤ 1.5×"}
		latCond.target = target{ratioAtMost, 0.5, "≤ 0.5×"}
		spin.target, spinCond.target = lat.target, latCond.target
	}
	return section{fmt.Sprintf("Barrier, N = %d processes, %d rounds (coordinator demo barrier; barrier_bench.py)", n, c.rounds),
		[]figure{lat, latCond, spin, spinCond,
			{name: fmt.Sprintf("N=%d release latency, median", n), key: b + ".lat_med", unit: micros,
				anchorName: "mp.Barrier", anchor: bar + ".lat_med"},
			{name: fmt.Sprintf("N=%d release latency, p99", n), key: b + ".lat_p99", unit: micros,
				anchorName: "raw futex wake-all", anchor: f + ".lat_p99"},
			{name: fmt.Sprintf("N=%d skew, median", n), key: b + ".skew_med", unit: micros,
				anchorName: "raw futex wake-all", anchor: f + ".skew_med"},
			{name: fmt.Sprintf("N=%d skew, median", n), key: b + ".skew_med", unit: micros,
				anchorName: "mp.Condition.notify_all", anchor: cond + ".skew_med"},
			{name: fmt.Sprintf("N=%d skew, p99", n), key: b + ".skew_p99", unit: micros,
				anchorName: "raw futex wake-all", anchor: f + ".skew_p99"},
		}}
}

// thousands writes n with commas: 100,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
