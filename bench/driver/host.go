package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// host is where and when the figures were taken.
type host struct {
	started  time.Time
	cpu      string
	cpus     int
	kernel   string
	goVer    string
	pyVer    string
	python   string
	reps     []repInfo
	finished time.Time
}

func describeHost(ctx context.Context, c config) *host {
	h := &host{started: time.Now(), cpu: cpuModel(), cpus: runtime.NumCPU(), goVer: runtime.Version(),
		python: c.python, pyVer: "unknown"}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.kernel = strings.TrimSpace(string(b))
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if out, err := command(ctx, nil, c.python, "-c", "import sys; print(sys.version.split()[0])"); err == nil {
		h.pyVer = strings.TrimSpace(string(out.stdout))
	}
	return h
}

func (h *host) finish(reps []repInfo) { h.reps, h.finished = reps, time.Now() }

func (h *host) summary() string {
	return fmt.Sprintf("%s × %d CPUs, Linux %s, Go %s, Python %s (%s)",
		h.cpu, h.cpus, h.kernel, strings.TrimPrefix(h.goVer, "go"), h.pyVer, h.python)
}

// cpuModel is /proc/cpuinfo's first "model name".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range bytes.Lines(b) {
		if k, v, ok := strings.Cut(string(line), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// writeReport writes the header, the tables and the verdicts, as plain
// text or as Markdown.
func writeReport(w io.Writer, c config, h *host, s *samples, markdown bool) error {
	sections := c.sections()
	heading, item := "", "  "
	if markdown {
		heading, item = "## ", "- "
		fmt.Fprintf(w, "# brine benchmark results\n\nWritten by `make bench` (scripts/bench.sh, bench/driver); "+
			"regenerate it rather than editing it. Figures drift 20–60 %% between runs on these machines: "+
			"compare ratios taken in the same run, never absolute figures across runs.\n\n")
	}
	fmt.Fprintf(w, "%sRun of %s, took %v\n\n", heading, h.started.Format("2006-01-02 15:04 MST"),
		h.finished.Sub(h.started).Round(time.Second))
	fmt.Fprintf(w, "%smachine: %s × %d CPUs, Linux %s\n", item, h.cpu, h.cpus, h.kernel)
	fmt.Fprintf(w, "%sGo %s; Python %s (%s)\n", item, strings.TrimPrefix(h.goVer, "go"), h.pyVer, h.python)
	mode := ""
	if c.quick {
		mode = " (quick smoke test: small counts, not comparable with the targets)"
	}
	fmt.Fprintf(w, "%s%d of %d repetitions, interleaved%s\n", item, len(h.reps), c.reps, mode)
	for i, r := range h.reps {
		fmt.Fprintf(w, "%srep %d: %v, %d measurements, %d failed; %s\n",
			item, i+1, r.took.Round(time.Second), r.measured, r.failures, r.pressure())
	}
	fmt.Fprintf(w, "\n%sratio = median of the per-repetition ratios brine / anchor (both sides measured back to back "+
		"in the same repetition); ratio range = their min–max; targets are judged on that median.\n", item)
	if markdown {
		writeMarkdown(w, sections, s)
	} else {
		fmt.Fprintln(w)
		if err := writeText(w, sections, s); err != nil {
			return err
		}
	}
	if err := writeAnchorChecks(w, sections, s, markdown); err != nil {
		return err
	}
	if markdown {
		fmt.Fprintf(w, "\n## Targets\n\n")
	} else {
		fmt.Fprintf(w, "\ntargets:\n")
	}
	for _, l := range targetSummary(sections, s) {
		fmt.Fprintf(w, "%s%s\n", item, l)
	}
	if markdown {
		fmt.Fprintf(w, "\n## How the figures are taken\n\n%s", methods(c))
	}
	return nil
}

// methods says how each figure is taken, for RESULTS.md.
func methods(c config) string {
	return fmt.Sprintf(`- brine throughput: `+"`bin/coordinator -workers 2 -job echo -tasks %[1]d -size S -warmup %[12]d [-batch 1] [-mode thread]`"+
		`; the wall and tasks/s columns of its summary table. -warmup runs that many echo tasks on the pool before the timed run, as
  pool_bench.py runs a map of 8 calls on its pools before it starts its clock; the cold pool row is the same run without it.
  No report is written: a report keeps every task's output in the
  coordinator, which costs a 100,000-task run of trivial tasks a fifth to a third of its throughput (560 MB at 4 KiB).
- Python: scripts/pool_anchor.py runs single (executor, mode) pairs of pool_bench.py (inc / echo4k, a warmed pool of 2);
  Pool.map and ThreadPool.map with %[2]s tasks (Pool.map's default chunksize depends on it), except Pool.map chunksize=1
  with 4 KiB payloads: %[11]s tasks (each task is its own chunk, so the rate does not depend on the count, and 100,000 take
  ~25 s); ProcessPoolExecutor.map (chunksize 1) with %[3]s.
- %[13]s tasks: the brine throughput run with `+"`-tasks %[14]d -size 0`"+` against `+"`pool_anchor.py trivial pool:map_default:%[14]d`"+`,
  warmed as the others; Pool.map's default chunksize is n/(4·workers), %[15]s tasks here, so its rate depends on the count.
- Slower tasks: `+"`coordinator -workers 2 -job J -tasks N -size S -warmup %[12]d [-batch 1] [-mode thread]`"+` for %[16]s
  (each job's default size; counts that make a run 0.3–1 s on 2 workers, the tasks' own work from about 0.1 ms for hash to
  20 ms for sleep); the automatic batching run (the default, -batch 0) and the one-task-per-frame run (-batch 1) come
  back to back in each repetition, primes' thread mode run right after them. The tasks/s column of the summary table.
- Round trip: in the driver, pool.New(WithWorkers(1), WithCommand(bin/worker)), %[4]d sequential one-call Runs of
  echo with an empty payload, median; the pool's ends poll for each other up to 50 µs before they sleep (the default),
  or, in the "no polling" row, sleep at once (WithSpin(0)); anchor `+"`rawpipe rtt -size 64 -n %[5]d [-blocking]`"+`,
  whose two processes block in read(2).
- 1 MiB payload: %[6]d echo tasks × 1 MiB / the run's wall time (each byte also travels back); anchor `+"`rawpipe throughput -bytes %[7]s`"+` (one way).
- Spawn: runs[0].spawn_seconds of `+"`coordinator -workers N -job echo -tasks 1 -size 0 -report -`"+`; anchors
  `+"`rawpipe spawn -n N -reps %[8]d`"+` (median) and `+"`pool_first.py inproc`"+` (median of Pool(2) + first result).
- Whole cold run: the wall time from exec to exit of `+"`coordinator -workers 2 -job echo -tasks %[1]d -size 0`"+` (its default
  settings: no -warmup, no report, stdout and stderr to pipes), against that of `+"`scripts/pool_whole.py %[1]d`"+` under the same
  interpreter as the other anchors (it starts, imports multiprocessing, maps inc over range(%[1]d) on a Pool(2) at Pool.map's
  default chunksize, and exits, timing nothing itself); each side runs %[8]d times in a row in every repetition, the
  figure is %[2]s tasks over the median of those walls.
- RSS: the coordinator's own VmHWM (/proc/PID/status, polled every 20 ms) in `+"`coordinator -workers 2 -job echo -size 0 -tasks %[9]d -report FILE`"+`
  (a report file in a temporary directory, every result in it); not wait4's ru_maxrss, which after a CLONE_VM exec includes the driver's own peak.
- Anchor checks: after the repetitions, each probe that yields the anchor of a ratio target runs once more, alone; its
  figure is the "alone" column. CPU pressure is the share of the time in which some task waited for a CPU, from the
  total of /proc/pressure/cpu's "some" line before and after.
- Barriers: `+"`coordinator demo barrier -workers N -rounds %[10]d -report -`"+`, `+"`rawpipe futex -n N -rounds %[10]d`"+`,
  `+"`barrier_bench.py condition|barrier N %[10]d 1`"+`; latency = last wake − release, skew = last − first wake.
- NATS: a server embedded in the measuring process, on loopback (natsserver.Start), streams in memory, one replica.
  Throughput: the brine throughput run with `+"`-transport nats`"+`; round trip: the round trip above over
  pool.WithTransport(nats.New(...)); barrier: in the driver, a pool of 2 bin/worker over NATS runs %[10]d rounds of
  demo.barrier, the driver the last party as in the barrier demo, on a barrier of the run's key-value bucket.
`, c.tasks, thousands(c.tasks), thousands(c.ppeTasks), c.roundTrips, c.rttN, c.mibTasks, c.pipeBytes,
		c.spawnReps, c.streamTasks, c.rounds, thousands(c.cs1Payload), poolWarmup,
		thousands(c.manyTasks), c.manyTasks, thousands(defaultChunksize(c.manyTasks, 2)), slowMethods(c))
}

// writeResults writes the Markdown report to c.out.
func writeResults(c config, h *host, s *samples) error {
	var b bytes.Buffer
	if err := writeReport(&b, c, h, s, true); err != nil {
		return err
	}
	if old, err := os.ReadFile(c.out); err == nil {
		b.Write(keptSection(old))
	}
	return os.WriteFile(c.out, b.Bytes(), 0o644)
}

// designHeading begins the part of RESULTS.md that a run keeps as it was:
// the figures behind the code's design choices, measured when each was
// made, which make bench does not measure again.
const designHeading = "\n## Design measurements"

// keptSection returns the design measurements of a RESULTS.md, from their
// heading to the end, or nothing.
func keptSection(old []byte) []byte {
	if i := bytes.Index(old, []byte(designHeading)); i >= 0 {
		return old[i:]
	}
	return nil
}
