package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"runtime"
	"testing"
)

// Write splices the results into the rest of the report; the bytes are
// those of indenting the whole report with encoding/json, whatever the
// outputs hold.
func TestWriteMatchesWholeIndent(t *testing.T) {
	outputs := []any{
		nil, true, int64(-3), uint64(1 << 63), 2.5, "", "a \"quoted\" <tag> & é\n",
		[]byte{0, 1, 2}, []any{}, []any{1, "x", []any{nil}}, map[string]any{},
		map[string]any{"z": 1, "a": map[string]any{"k": []any{1.5, "v"}}},
		bytes.Repeat([]byte{0xfb, 0xff, 0, 'a'}, streamOutput/4+1), // streamed
	}
	r := &Report{Schema: Schema, Job: "j", Tasks: len(outputs) + 1, Digest: "d",
		Runs:       []Run{{Mode: "process", WorkerCount: 2, Workers: []Worker{{ID: 0, PID: 9, Tasks: 3}}, Cost: &Cost{ComputeSeconds: 1}}},
		Comparison: &Comparison{}, Barrier: &Barrier{Kind: "barrier"}}
	for i, o := range outputs {
		r.Results = append(r.Results, Result{Task: i, Status: "ok", Output: o, Worker: i % 2, PID: 100 + i, Attempts: 1})
	}
	r.Results = append(r.Results, Result{Task: len(outputs), Status: "panic", Attempts: 2,
		Error: &Error{Kind: "panic", Message: "boom </script>", Stack: "goroutine 1:\n\tmain.go:3"}})
	for _, rep := range []*Report{r, {Schema: Schema, Job: "empty"}} {
		var got, want bytes.Buffer
		if err := Write(&got, rep); err != nil {
			t.Fatal(err)
		}
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("Write differs from the whole report indented:\n%s\n---\n%s", got.Bytes(), want.Bytes())
		}
	}
}

// Digest hashes a large []byte output, which it streams, as it hashes
// any output: the canonical JSON of [task, status, output], a line each.
func TestDigestStreamedOutput(t *testing.T) {
	big := bytes.Repeat([]byte{0xfb, 0xff, 0, 'a'}, streamOutput/4+1)
	results := []Result{{Task: 0, Status: "ok", Output: big}, {Task: 1, Status: "ok", Output: int64(1)}}
	h := sha256.New()
	for _, r := range results {
		line, err := json.Marshal([]any{r.Task, r.Status, r.Output})
		if err != nil {
			t.Fatal(err)
		}
		h.Write(append(line, '\n'))
	}
	got, err := Digest(results)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("Digest = %s, want %s", got, want)
	}
}

// Results written or hashed from a sequence, here of parts, are those of
// the parts joined, and none make an empty array, not null, as
// encoding/json writes it.
func TestWriteSeq(t *testing.T) {
	r := &Report{Schema: Schema, Job: "j", Tasks: 5, Runs: []Run{{Mode: "process"}}}
	var all []Result
	for i := range 5 {
		all = append(all, Result{Task: i, Status: "ok", Output: int64(i * i), Attempts: 1})
	}
	whole := *r
	whole.Results = all
	var want bytes.Buffer
	if err := Write(&want, &whole); err != nil {
		t.Fatal(err)
	}
	wantDigest, _ := Digest(all)
	for _, parts := range [][][]Result{{all}, {all[:2], all[2:]}, {nil, all[:1], {}, all[1:4], all[4:]}} {
		var got bytes.Buffer
		if err := WriteSeq(&got, r, Each(parts...)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%d parts: WriteSeq differs from Write:\n%s\n---\n%s", len(parts), got.Bytes(), want.Bytes())
		}
		if d, _ := DigestSeq(Each(parts...)); d != wantDigest {
			t.Errorf("%d parts: DigestSeq = %s, Digest = %s", len(parts), d, wantDigest)
		}
	}
	var empty bytes.Buffer
	if err := WriteSeq(&empty, r, Each()); err != nil {
		t.Fatal(err)
	}
	shell := *r
	shell.Results = []Result{}
	var wantEmpty bytes.Buffer
	if err := writeIndented(&wantEmpty, &shell); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(empty.Bytes(), wantEmpty.Bytes()) || !bytes.Contains(empty.Bytes(), []byte(`"results": [],`)) {
		t.Errorf("no results:\n%s\n---\n%s", empty.Bytes(), wantEmpty.Bytes())
	}
}

// A scalar's encoding, which Canonical returns as it is, is what the round
// trip through JSON that it skips gives.
func TestCanonicalScalars(t *testing.T) {
	for _, v := range []any{nil, true, false, "", "é \"x\" <b>\u2028", []byte{0xff, 0}, int8(-8), int64(-1 << 63),
		uint64(1<<64 - 1), uint8(7), 0.1, 1e21, 1e-7, float32(0.3), -2.5, 123456789.0} {
		got, err := Canonical(v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		raw, _ := json.Marshal(v)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var generic any
		if err := dec.Decode(&generic); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(generic)
		if !bytes.Equal(got, want) {
			t.Errorf("%#v: Canonical = %s, the round trip gives %s", v, got, want)
		}
	}
}

// A large []byte output is streamed into the report and its digest: the
// memory they allocate does not grow with it. Through encoding/json, each
// built its base64 whole, more than once: several times the output.
func TestLargeOutputStreamed(t *testing.T) {
	const size = 8 << 20
	r := &Report{Schema: Schema, Job: "echo", Tasks: 1, Runs: []Run{{Mode: "process"}},
		Results: []Result{{Task: 0, Status: "ok", Output: bytes.Repeat([]byte{7}, size), Attempts: 1}}}
	for name, f := range map[string]func() error{
		"Write":  func() error { return Write(io.Discard, r) },
		"Digest": func() error { _, err := Digest(r.Results); return err },
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := f(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > size/8 {
			t.Errorf("%s allocated %d bytes for a %d-byte output", name, n, size)
		}
	}
}
