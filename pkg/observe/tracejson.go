package observe

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// laneBase numbers the trace's process lanes of runs whose workers are
// goroutines of this process: above any Linux pid (pid_max is at most
// 2^22), one per run.
const laneBase = 1 << 23

// WriteTo writes the trace as Chrome trace-event JSON, the format that
// Perfetto (ui.perfetto.dev) and chrome://tracing open. Each worker
// process has a process lane of its own, named by its pid; the workers of
// a run in this process (thread modes, and the serial run) share a process
// lane per run, with a thread lane per worker. Each task is a complete
// event ("ph":"X") named "task N" with args id, attempt and status, ending
// when the coordinator received its result. The coordinator's lane holds a
// span per run and, where the run serialized, its encoding and decoding
// time as one span each from the run's start: totals, not single frames.
// Workers' deaths and replacements are instant events ("ph":"i"). Times
// are microseconds since the trace began.
func (t *Trace) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<16)
	e := &eventWriter{w: bw, first: true}
	bw.WriteString(`{"displayTimeUnit":"ms","otherData":{"generator":"brine","time_zero":`)
	bw.WriteString(strconv.Quote(t.origin.UTC().Format(time.RFC3339Nano)))
	fmt.Fprintf(bw, `,"spans_left_out":%d},"traceEvents":[`, t.Dropped())
	e.meta("process_name", t.pid, 0, "coordinator (pid "+itoa(t.pid)+")")
	e.meta("process_sort_index", t.pid, 0, "0")
	e.meta("thread_name", t.pid, 0, "runs")
	for _, r := range t.allRuns() {
		r.write(e)
	}
	t.mu.Lock()
	barriers := t.barriers
	t.mu.Unlock()
	for i, b := range barriers {
		t.writeBarrier(e, laneBase+len(t.runs)+i, b)
	}
	bw.WriteString("\n]}\n")
	if err := bw.Flush(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

func (r *traceRun) write(e *eventWriter) {
	r.mu.Lock()
	stop, st, workers, instants := r.stop, r.stats, r.workers, r.instants
	r.mu.Unlock()
	if stop == 0 {
		stop = time.Since(r.t.origin)
	}
	spans := r.allSpans()
	r.mu.Lock()
	statuses := slices.Clone(r.statuses)
	r.mu.Unlock()
	coord := r.t.pid
	e.complete(r.mode+" run", "run", coord, 0, r.start, stop-r.start,
		fmt.Sprintf(`{"mode":%q,"workers":%d,"tasks":%d}`, r.mode, workers, len(spans)))
	if st.Encode > 0 || st.Decode > 0 {
		e.meta("thread_name", coord, 1, "encode (run totals)")
		e.meta("thread_name", coord, 2, "decode (run totals)")
		e.complete("encode: run total", "serialization", coord, 1, r.start, st.Encode,
			fmt.Sprintf(`{"total_seconds":%g,"bytes":%d,"note":"all the run's task frames' encoding, summed and drawn from its start"}`, st.Encode.Seconds(), st.TaskBytes))
		e.complete("decode: run total", "serialization", coord, 2, r.start, st.Decode,
			fmt.Sprintf(`{"total_seconds":%g,"bytes":%d,"note":"all the run's result frames' decoding, summed and drawn from its start"}`, st.Decode.Seconds(), st.ResultBytes))
	}
	named := map[lane]bool{}
	for _, s := range spans {
		l := r.laneOf(s)
		pid := r.lanePID(l)
		if !named[l] {
			named[l] = true
			r.nameLane(e, l, pid)
		}
		e.task(s, pid, l.worker, statuses[s.status])
	}
	for _, in := range instants {
		l := lane{worker: in.worker, pid: in.pid}
		if in.pid == r.t.pid {
			l.pid = 0
		}
		pid := r.lanePID(l)
		if !named[l] {
			named[l] = true
			r.nameLane(e, l, pid)
		}
		e.instant(in.name, pid, l.worker, in.at, fmt.Sprintf(`{"worker":%d,"pid":%d,"detail":%q}`, in.worker, in.pid, in.detail))
	}
}

// lanePID is the trace's process id of a lane: the worker's pid, or one
// per run for goroutine workers.
func (r *traceRun) lanePID(l lane) int {
	if l.pid == 0 {
		return laneBase + r.index
	}
	return l.pid
}

func (r *traceRun) nameLane(e *eventWriter, l lane, pid int) {
	sort := itoa((r.index+1)*100_000 + l.worker)
	if l.pid == 0 {
		if l.worker == 0 {
			e.meta("process_name", pid, 0, fmt.Sprintf("%s run #%d: workers are goroutines of the coordinator (pid %d)", r.mode, r.index+1, r.t.pid))
			e.meta("process_sort_index", pid, 0, sort)
		}
		e.meta("thread_name", pid, l.worker, "worker "+itoa(l.worker))
		return
	}
	e.meta("process_name", pid, 0, fmt.Sprintf("%s run #%d: worker %d (pid %d)", r.mode, r.index+1, l.worker, l.pid))
	e.meta("process_sort_index", pid, 0, sort)
	e.meta("thread_name", pid, l.worker, "worker "+itoa(l.worker))
}

// writeBarrier draws each waiter's wait from a release to its wake.
func (t *Trace) writeBarrier(e *eventWriter, pid int, b barrierRounds) {
	e.meta("process_name", pid, 0, fmt.Sprintf("barrier (%s): release to wake, per waiter", b.mode))
	e.meta("process_sort_index", pid, 0, itoa(50_000))
	for w, wakes := range b.wakes {
		e.meta("thread_name", pid, w, "waiter "+itoa(w))
		for r, at := range b.release {
			if r >= len(wakes) {
				break
			}
			e.complete("release "+itoa(r), "barrier", pid, w, t.sinceOrigin(at), time.Duration(wakes[r]-at),
				fmt.Sprintf(`{"round":%d,"waiter":%d,"latency_us":%g}`, r, w, float64(wakes[r]-at)/1e3))
		}
	}
}

// eventWriter writes trace events, comma-separated.
type eventWriter struct {
	w     *bufio.Writer
	first bool
	buf   []byte
}

func (e *eventWriter) start() {
	if e.first {
		e.w.WriteString("\n")
		e.first = false
	} else {
		e.w.WriteString(",\n")
	}
}

func (e *eventWriter) meta(name string, pid, tid int, value string) {
	e.start()
	key := "name"
	if name == "process_sort_index" {
		key = "sort_index"
		fmt.Fprintf(e.w, `{"name":%q,"ph":"M","pid":%d,"tid":%d,"args":{%q:%s}}`, name, pid, tid, key, value)
		return
	}
	fmt.Fprintf(e.w, `{"name":%q,"ph":"M","pid":%d,"tid":%d,"args":{%q:%s}}`, name, pid, tid, key, strconv.Quote(value))
}

func (e *eventWriter) complete(name, cat string, pid, tid int, ts, dur time.Duration, args string) {
	e.start()
	b := e.buf[:0]
	b = append(b, `{"name":`...)
	b = strconv.AppendQuote(b, name)
	b = append(b, `,"cat":"`...)
	b = append(b, cat...)
	b = append(b, `","ph":"X","ts":`...)
	b = appendMicros(b, ts)
	b = append(b, `,"dur":`...)
	b = appendMicros(b, dur)
	b = appendThread(b, pid, tid)
	b = append(b, `,"args":`...)
	b = append(b, args...)
	b = append(b, '}')
	e.w.Write(b)
	e.buf = b
}

// task writes a task's complete event; the trace's bulk, so written
// without fmt.
func (e *eventWriter) task(s span, pid, tid int, status string) {
	e.start()
	b := append(e.buf[:0], `{"name":"task `...)
	b = strconv.AppendInt(b, int64(s.task), 10)
	b = append(b, `","cat":"task","ph":"X","ts":`...)
	b = appendMicros(b, s.start)
	b = append(b, `,"dur":`...)
	b = appendMicros(b, s.dur)
	b = appendThread(b, pid, tid)
	b = append(b, `,"args":{"id":`...)
	b = strconv.AppendInt(b, int64(s.task), 10)
	b = append(b, `,"attempt":`...)
	b = strconv.AppendInt(b, int64(s.attempts), 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendQuote(b, status)
	b = append(b, `,"worker":`...)
	b = strconv.AppendInt(b, int64(s.worker), 10)
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(s.pid), 10)
	b = append(b, "}}"...)
	e.w.Write(b)
	e.buf = b
}

func (e *eventWriter) instant(name string, pid, tid int, ts time.Duration, args string) {
	e.start()
	b := append(e.buf[:0], `{"name":`...)
	b = strconv.AppendQuote(b, name)
	b = append(b, `,"cat":"worker","ph":"i","s":"p","ts":`...)
	b = appendMicros(b, ts)
	b = appendThread(b, pid, tid)
	b = append(b, `,"args":`...)
	b = append(b, args...)
	b = append(b, '}')
	e.w.Write(b)
	e.buf = b
}

// appendThread appends an event's "pid" and "tid" members.
func appendThread(b []byte, pid, tid int) []byte {
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, `,"tid":`...)
	return strconv.AppendInt(b, int64(tid), 10)
}

// appendMicros appends d in microseconds, to the nanosecond.
func appendMicros(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d)/1e3, 'f', 3, 64)
}

func itoa(n int) string { return strconv.Itoa(n) }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
