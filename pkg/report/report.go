package report

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"time"
)

// Schema is the value of Report.Schema for this version of the format.
const Schema = "brine.report/v1"

// Report is one invocation of the coordinator, in the format that
// docs/REPORT.md documents and docs/report.schema.json defines.
//
// Schema through Results are deterministic: every correct run of the same
// job with the same parameters has the same values, whatever its mode,
// worker count or scheduling (Workers is the count asked for, not a
// measurement). Runs, Host and Comparison vary; so do the worker, pid,
// attempts and error message of each result. Normalize zeroes what varies.
type Report struct {
	Schema  string `json:"schema"`
	Job     string `json:"job"`
	Tasks   int    `json:"tasks"`
	Size    int64  `json:"size"`
	Seed    int64  `json:"seed"`
	Fault   string `json:"fault,omitempty"` // the fault job's -fault
	Workers int    `json:"workers"`
	// Digest is the SHA-256 of the canonical encoding of Results (see
	// Digest); equal for every correct run of the same job and parameters.
	Digest string `json:"digest"`
	// Results holds one result per task, ordered by task id: the first
	// run's. The other runs are summarised by their digests. The tasks in
	// Cancelled have none.
	Results []Result `json:"results"`
	// Cancelled lists the tasks the first run never started because it
	// was stopped (by a signal): they have no result each. Nil when there
	// are none.
	Cancelled *Cancelled `json:"cancelled,omitempty"`
	Runs      []Run      `json:"runs"`
	Host      Host       `json:"host"`

	Comparison *Comparison `json:"comparison,omitempty"` // the runs side by side: see Compare
	// Barrier holds the release records of a barrier demonstration
	// (coordinator demo barrier); nil for other reports.
	Barrier *Barrier `json:"barrier,omitempty"`
}

// Run is one execution of the job in one mode at one worker count. Its
// Digest equals the report's for a correct run; everything else in it is
// measured and varies.
type Run struct {
	Mode         string  `json:"mode"`
	WorkerCount  int     `json:"worker_count"`
	WallSeconds  float64 `json:"wall_seconds"`
	SpawnSeconds float64 `json:"spawn_seconds"`
	// WarmupTasks is how many of the job's tasks ran on the pool before
	// this run was timed (-warmup), untimed and in none of its counts.
	WarmupTasks int `json:"warmup_tasks,omitempty"`
	// Repeat numbers the runs of a -repeat, from 1: the runs of one repeat
	// were made one after another, and are compared with that repeat's
	// baseline. 0 (absent) when the job was run once.
	Repeat      int `json:"repeat,omitempty"`
	TasksOK     int `json:"tasks_ok"`
	TasksFailed int `json:"tasks_failed"`
	// TasksCancelled is how many of TasksFailed were cancelled: not run,
	// or stopped, because the run was.
	TasksCancelled int `json:"tasks_cancelled,omitempty"`
	// Error says why the run ended before its tasks ran, when it failed
	// as a whole: its workers could not be started.
	Error               string   `json:"error,omitempty"`
	ThroughputPerSecond float64  `json:"throughput_per_second"`
	Digest              string   `json:"digest"`
	Retries             int      `json:"retries"`
	WorkerRestarts      int      `json:"worker_restarts"`
	Workers             []Worker `json:"workers"`
	*Cost                        // speedup, bytes, peak RSS...: see Cost
}

// Worker is what one worker did in a run.
type Worker struct {
	ID    int   `json:"id"`
	PID   int   `json:"pid"`
	Tasks int64 `json:"tasks"`
}

// Result is the outcome of one task.
type Result struct {
	Task     int    `json:"task"`
	Status   string `json:"status"` // "ok" or the error kind
	Output   any    `json:"output"`
	Worker   int    `json:"worker"`
	PID      int    `json:"pid"`
	Attempts int    `json:"attempts"`
	Error    *Error `json:"error,omitempty"`
}

// Error describes a failed task.
type Error struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Stack   string `json:"stack,omitempty"`
}

// Host records where and when the run happened: the facts a grader needs
// to judge timings (CPUs), and to say which build produced the report.
type Host struct {
	CPUs      int       `json:"cpus"`
	GoVersion string    `json:"go_version"`
	Brine     string    `json:"brine_version"`
	Hostname  string    `json:"hostname"`
	Started   time.Time `json:"started"`
}

// Write writes r as indented JSON.
func Write(w io.Writer, r *Report) error {
	if len(r.Results) == 0 {
		return writeIndented(w, r)
	}
	return WriteSeq(w, r, Each(r.Results))
}

// Each yields the results of parts, joined in order, as WriteSeq and
// DigestSeq take them.
func Each(parts ...[]Result) iter.Seq[*Result] {
	return func(yield func(*Result) bool) {
		for _, p := range parts {
			for i := range p {
				if !yield(&p[i]) {
					return
				}
			}
		}
	}
}

// WriteSeq writes r as Write does, with the results that results yields,
// in order, in place of r.Results: a producer that keeps results in a form
// of its own makes each only as it is written. Each *Result is done with
// before the next is asked for, so a producer may yield one it reuses. No
// results make an empty array.
//
// It writes the report with its results left out, then each result spliced
// in where encoding/json would put it, exactly as it would indent it:
// indenting a whole report at once built and copied buffers as large as the
// report (bench/RESULTS.md, "Design measurements": Report written result by
// result).
func WriteSeq(w io.Writer, r *Report, results iter.Seq[*Result]) error {
	shell := *r
	shell.Results = []Result{}
	var b bytes.Buffer
	if err := writeIndented(&b, &shell); err != nil {
		return err
	}
	const empty = "\n  \"results\": []"
	at := bytes.Index(b.Bytes(), []byte(empty))
	if at < 0 {
		return errors.New("report: no results in the encoded report") // cannot happen: Results has no omitempty
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(b.Bytes()[:at])
	bw.WriteString("\n  \"results\": [")
	var one, ind bytes.Buffer
	enc := json.NewEncoder(&one)
	first := true
	for r := range results {
		one.Reset()
		ind.Reset()
		big, streamed := r.Output.([]byte)
		if streamed = streamed && len(big) >= streamOutput; streamed {
			cp := *r
			cp.Output, r = "", &cp // its place, which the bytes fill below
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
		if err := json.Indent(&ind, bytes.TrimSuffix(one.Bytes(), []byte("\n")), "    ", "  "); err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n    ")
		if !streamed {
			bw.Write(ind.Bytes())
			continue
		}
		// No JSON string holds a raw newline: this is the field.
		const place = "\n      \"output\": \"\""
		at := bytes.Index(ind.Bytes(), []byte(place))
		bw.Write(ind.Bytes()[:at+len(place)-1])
		writeBase64(bw, big)
		bw.Write(ind.Bytes()[at+len(place)-1:])
	}
	if first {
		bw.WriteString("]")
	} else {
		bw.WriteString("\n  ]")
	}
	bw.Write(b.Bytes()[at+len(empty):])
	return bw.Flush()
}

// streamOutput is the least size of a []byte output that is written to a
// report, and hashed into its digest, by streaming its base64 rather than
// through encoding/json, which builds the whole of it, more than once, in
// buffers of its own.
const streamOutput = 64 << 10

// writeBase64 writes b in standard base64, as encoding/json encodes a
// []byte within its quotes.
func writeBase64(w io.Writer, b []byte) {
	enc := base64.NewEncoder(base64.StdEncoding, w)
	enc.Write(b)
	enc.Close()
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
