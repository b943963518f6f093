package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kaptinlin/jsonschema"

	"github.com/brinehq/brine/pkg/coordinator"
	"github.com/brinehq/brine/pkg/report"
)

var update = flag.Bool("update", false, "rewrite docs/report.schema.json from report.schema.json, and the golden reports")

const docsSchema = "../../docs/report.schema.json"

// TestSchemaCopy keeps the published schema and the one brine embeds equal.
func TestSchemaCopy(t *testing.T) {
	if *update {
		if err := os.WriteFile(docsSchema, report.SchemaJSON(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := os.ReadFile(docsSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, report.SchemaJSON()) {
		t.Fatal("docs/report.schema.json differs from pkg/report/report.schema.json, which brine embeds: " +
			"edit the latter and run go test ./pkg/report -run TestSchemaCopy -update")
	}
}

// producerSchema compiles docs/report.schema.json, adding
// "additionalProperties": false to every object schema that lists its
// properties and does not say otherwise. Consumers must ignore unknown
// fields, but what brine itself writes must be documented: a field the
// coordinator adds without a line in the schema fails here.
func producerSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(docsSchema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := report.ParseJSON(data) // numbers stay exact: the int64 bounds
	if err != nil {
		t.Fatalf("%s: %v", docsSchema, err)
	}
	closeObjects(doc)
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.SetAssertFormat(true)
	sch, err := c.Compile(data)
	if err != nil {
		t.Fatalf("%s does not compile as JSON Schema 2020-12: %v", docsSchema, err)
	}
	return sch
}

func closeObjects(v any) {
	switch v := v.(type) {
	case map[string]any:
		_, hasProps := v["properties"]
		_, hasAdditional := v["additionalProperties"]
		if v["type"] == "object" && hasProps && !hasAdditional {
			v["additionalProperties"] = false
		}
		for _, x := range v {
			closeObjects(x)
		}
	case []any:
		for _, x := range v {
			closeObjects(x)
		}
	}
}

// TestProducerSchemaIsClosed checks that producerSchema refuses what the
// schema does not document, at any depth, and still takes what it does.
func TestProducerSchemaIsClosed(t *testing.T) {
	sch := producerSchema(t)
	good := base(t, "hash")
	for name, data := range map[string][]byte{
		"at the top":  edit(t, good, func(d map[string]any) { d["extra"] = 1 }),
		"in a run":    edit(t, good, func(d map[string]any) { run0(d)["extra"] = 1 }),
		"in a result": edit(t, good, func(d map[string]any) { result(d, 0)["extra"] = 1 }),
		"in the host": edit(t, good, func(d map[string]any) { d["host"].(map[string]any)["extra"] = 1 }),
	} {
		doc, err := report.ParseJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(doc).IsValid() {
			t.Errorf("an undocumented field %s passes", name)
		}
	}
	validate(t, sch, good)
}

func validate(t *testing.T, sch *jsonschema.Schema, data []byte) {
	t.Helper()
	doc, err := report.ParseJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if res := sch.Validate(doc); !res.IsValid() {
		t.Fatalf("the report does not match docs/report.schema.json:\n%v", res.DetailedErrors())
	}
	if _, err := report.Decode(data); err != nil {
		t.Fatalf("report.Decode: %v", err)
	}
}

// jobRuns are small runs of every built-in job, for the schema and golden
// tests.
var jobRuns = []struct {
	name string
	args []string
}{
	{"primes", []string{"-job", "primes", "-tasks", "20", "-size", "1000"}},
	{"sleep", []string{"-job", "sleep", "-tasks", "4", "-size", "1"}},
	{"echo", []string{"-job", "echo", "-tasks", "5", "-size", "16", "-seed", "7"}},
	{"hash", []string{"-job", "hash", "-tasks", "10", "-size", "100", "-seed", "3"}},
	{"fault", []string{"-job", "fault", "-fault", "error", "-tasks", "6", "-size", "3"}},
}

// runReport runs the coordinator in this process with args and returns the
// report it wrote. A process-mode run uses this test binary as its worker.
func runReport(t testing.TB, args ...string) []byte {
	t.Helper()
	data, code, stderr := tryReport(t, args...)
	if code != coordinator.ExitOK && code != coordinator.ExitFailed {
		t.Fatalf("coordinator %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return data
}

func tryReport(t testing.TB, args ...string) (data []byte, code int, stderr string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	// Later flags win: args may set another -log-level.
	args = append(append([]string{"-no-progress", "-log-level", "error"}, args...), "-report", path, "-worker", self)
	var out, errOut syncBuffer
	code = coordinator.Main(context.Background(), args, &out, &errOut)
	data, _ = os.ReadFile(path)
	return data, code, errOut.String()
}

// syncBuffer is a bytes.Buffer for the coordinator's stderr, which its
// goroutines log to concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestReportsMatchSchema validates the report of every built-in job in
// thread and process mode, of a run whose workers die, of the barrier demo,
// and of every mode at once (-mode all), the last two where the
// coordinator has them.
func TestReportsMatchSchema(t *testing.T) {
	sch := producerSchema(t)
	for _, job := range jobRuns {
		for _, mode := range []string{"thread", "process"} {
			t.Run(job.name+"/"+mode, func(t *testing.T) {
				validate(t, sch, runReport(t, append(job.args, "-mode", mode, "-workers", "2")...))
			})
		}
	}
	t.Run("fault-exit/process", func(t *testing.T) {
		// -grace: closing this pool can wait out the whole grace period.
		data := runReport(t, "-job", "fault", "-fault", "exit", "-tasks", "4", "-size", "2",
			"-retries", "1", "-mode", "process", "-workers", "2", "-grace", "200ms")
		validate(t, sch, data)
		if !bytes.Contains(data, []byte(`"worker_died"`)) {
			t.Errorf("no worker_died result in\n%s", data)
		}
	})
	for _, mode := range []string{"thread", "process"} {
		t.Run("demo-barrier/"+mode, func(t *testing.T) {
			self, _ := os.Executable()
			path := filepath.Join(t.TempDir(), "barrier.json")
			var out, errOut syncBuffer
			code := coordinator.Main(context.Background(), []string{"demo", "barrier", "-workers", "2", "-rounds", "5",
				"-mode", mode, "-report", path, "-worker", self}, &out, &errOut)
			if code == coordinator.ExitUsage && strings.Contains(errOut.String(), "unknown demo") {
				t.Skipf("this coordinator has no barrier demo: %s", errOut.String())
			}
			if code != coordinator.ExitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			validate(t, sch, data)
		})
	}
	t.Run("all-modes", func(t *testing.T) {
		data, code, stderr := tryReport(t, "-job", "hash", "-tasks", "20", "-size", "10", "-mode", "all", "-workers", "2")
		if code == coordinator.ExitUsage {
			t.Skipf("this coordinator has no -mode all: %s", stderr)
		}
		if code != coordinator.ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		validate(t, sch, data)
	})
}

// TestSchemaCoversTypes validates a report that fills every optional part
// of the Go types, so that a field added to them must be added to the
// schema too.
func TestSchemaCoversTypes(t *testing.T) {
	rep := &report.Report{
		Schema: report.Schema, Job: "barrier", Tasks: 1, Size: 1, Seed: -1, Fault: "none", Workers: 2,
		Results: []report.Result{{Task: 0, Status: "panic", Attempts: 1,
			Error: &report.Error{Kind: "panic", Message: "boom", Stack: "goroutine 1"}}},
		Runs: []report.Run{{Mode: "process", WorkerCount: 2, Workers: []report.Worker{{ID: 0, PID: 1, Tasks: 1}},
			Cost: &report.Cost{Speedup: 1, WorkerPeakRSSBytes: 1, WorkersPeakRSSBytes: 2, OverheadPerTaskSeconds: -1},
		}},
		Barrier: &report.Barrier{Kind: "barrier", Workers: 2, Rounds: 1,
			LatencyUS: report.Quantiles{Median: 40, P99: 90}, SkewUS: report.Quantiles{Median: 14, P99: 30},
			Records: []report.RoundRecord{{Round: 0, LatencyUS: 40, SkewUS: 14, WakeUS: []float64{26, 40}}}},
		Host: report.Host{CPUs: 2, GoVersion: "go1.26", Brine: "0.1.0", Hostname: "h"},
	}
	rep.Comparison = report.Compare(rep.Runs, 2)
	rep.Comparison.Sweep = []int{1, 2}
	var err error
	if rep.Digest, err = report.Digest(rep.Results); err != nil {
		t.Fatal(err)
	}
	rep.Runs[0].Digest = rep.Digest
	var buf bytes.Buffer
	if err := report.Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	validate(t, producerSchema(t), buf.Bytes())

	// Each required field is required: dropping one fails validation.
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"schema", "job", "tasks", "size", "seed", "workers", "digest", "results", "runs", "host"} {
		cp := map[string]any{}
		for k, v := range doc {
			if k != field {
				cp[k] = v
			}
		}
		data, _ := json.Marshal(cp)
		if _, err := report.Decode(data); err == nil {
			t.Errorf("a report without %q decodes", field)
		}
	}
}
