package coordinator

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/report"
)

// The collector's store gives back, in task order, the results that
// arrived in any order from several workers: outputs small and large
// (past a block of their own), failures kept whole, and tasks that never
// ran left out. The report and digest made from it are those of the
// results kept as report.Results.
func TestStoreKeepsResults(t *testing.T) {
	const n, segment = 900, 300
	outputs := make([]any, n)
	want := make([]report.Result, 0, n)
	for i := range n {
		switch i % 5 {
		case 0:
			outputs[i] = int64(i * i)
		case 1:
			outputs[i] = fmt.Sprintf("task %d", i)
		case 2:
			size := i % 11
			if i%35 == 2 {
				size = arenaBlock/4 + i // a block of its own
			}
			outputs[i] = bytes.Repeat([]byte{byte(i)}, size)
		case 3:
			outputs[i] = []any{int64(i), "x"}
		}
	}
	c := newCollector(true, false)
	var feeds []sink
	for first := 0; first < n; first += segment {
		feeds = append(feeds, c.segment(first, segment))
	}
	order := rand.Perm(n)
	var wg sync.WaitGroup
	for w := range 3 { // three workers, each its share, at once
		wg.Go(func() {
			for _, i := range order[w*n/3 : (w+1)*n/3] {
				if i%97 == 5 {
					continue // never ran: the run stopped
				}
				r := pool.Result{Index: i % segment, Worker: w, PID: 100 + w, Attempts: 1 + i%3}
				if i%5 == 4 {
					r.Err = &pool.TaskError{Kind: "error", Message: fmt.Sprintf("task %d failed", i)}
				} else {
					raw, err := msgpack.Marshal(outputs[i])
					if err != nil {
						t.Error(err)
						return
					}
					r.Raw = raw
				}
				feeds[i/segment].one(r)
			}
		})
	}
	wg.Wait()
	owner := map[int]int{}
	for w := range 3 {
		for _, i := range order[w*n/3 : (w+1)*n/3] {
			owner[i] = w
		}
	}
	for i := range n {
		if i%97 == 5 {
			continue
		}
		w := owner[i]
		r := report.Result{Task: i, Status: "ok", Worker: w, PID: 100 + w, Attempts: 1 + i%3}
		if i%5 == 4 {
			r.Status, r.Error = "error", &report.Error{Kind: "error", Message: fmt.Sprintf("task %d failed", i)}
		} else {
			raw, _ := msgpack.Marshal(outputs[i])
			v, err := (&pool.Result{Raw: raw}).Decode()
			if err != nil {
				t.Fatal(err)
			}
			r.Output = v
		}
		want = append(want, r)
	}
	rep := &report.Report{Schema: report.Schema, Job: "j", Tasks: n, Runs: []report.Run{{Mode: "process"}}}
	var got, wantOut bytes.Buffer
	if err := report.WriteSeq(&got, rep, c.kept()); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteSeq(&wantOut, rep, report.Each(want)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), wantOut.Bytes()) {
		t.Errorf("the report from the store differs from the results kept whole (%d and %d bytes)", got.Len(), wantOut.Len())
	}
	d1, _ := report.DigestSeq(c.kept())
	d2, _ := report.Digest(want)
	if d1 != d2 {
		t.Errorf("digest from the store %s, from the results %s", d1, d2)
	}
}

// Thread mode's results come as Go values, kept as they are.
func TestStoreKeepsValues(t *testing.T) {
	c := newCollector(true, true)
	feed := c.segment(0, 4).one
	for i := range 4 {
		feed(pool.Result{Index: 3 - i, Value: int64(10 * (3 - i)), Worker: i % 2, PID: 7, Attempts: 1})
	}
	var tasks []int
	var outs []any
	for r := range c.kept() {
		tasks, outs = append(tasks, r.Task), append(outs, r.Output)
	}
	if fmt.Sprint(tasks) != "[0 1 2 3]" || fmt.Sprint(outs) != "[0 10 20 30]" {
		t.Errorf("tasks %v, outputs %v; want 0..3 and their values", tasks, outs)
	}
}

// Results taken a frame at a time (pool.RunBatched) are counted and kept
// as the same results taken one by one: ok scalars, which the batch path
// sums, and everything it leaves to add (failures, values that are not
// scalars, a batch that mixes workers).
func TestCollectorTakesBatchesAsOne(t *testing.T) {
	const n, segment = 600, 200
	results := make([]pool.Result, n)
	for i := range results {
		r := pool.Result{Index: i % segment, Worker: i % 3 / 2, PID: 100 + i%3/2, Attempts: 1 + i%4/3, Compute: time.Duration(i)}
		var out any = int64(i - 50)
		switch i % 7 {
		case 1:
			out = fmt.Sprintf("task %d", i)
		case 2:
			out = []any{int64(i)}
		case 3:
			r.Err = &pool.TaskError{Kind: "error", Message: fmt.Sprintf("task %d failed", i)}
		case 4:
			out = uint64(1) << 63 // wraps, as add's sum does
		}
		if r.Err == nil {
			raw, err := msgpack.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			r.Raw = raw
		}
		results[i] = r
	}
	one, many := newCollector(true, false), newCollector(true, false)
	for first := 0; first < n; first += segment {
		s := one.segment(first, segment)
		for _, r := range results[first : first+segment] {
			s.one(r)
		}
		m := many.segment(first, segment)
		var batch []pool.Result // reused, as the pool reuses its own
		for rest := results[first : first+segment]; len(rest) > 0; {
			k := min(len(rest), 1+rand.IntN(9))
			batch = append(batch[:0], rest[:k]...)
			m.many(batch)
			clear(batch)
			rest = rest[k:]
		}
	}
	a, b := one.totals(), many.totals()
	a.decode, b.decode = 0, 0 // timed, not counted
	if a != b {
		t.Errorf("totals one by one %+v, in batches %+v", a, b)
	}
	rep := &report.Report{Schema: report.Schema, Job: "j", Tasks: n, Runs: []report.Run{{Mode: "process"}}}
	var fromOne, fromMany bytes.Buffer
	if err := report.WriteSeq(&fromOne, rep, one.kept()); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteSeq(&fromMany, rep, many.kept()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromOne.Bytes(), fromMany.Bytes()) {
		t.Errorf("the results kept from batches differ from those kept one by one (%d and %d bytes)", fromMany.Len(), fromOne.Len())
	}
	if one.notInts.Load() != many.notInts.Load() || !many.notInts.Load() {
		t.Errorf("notInts one by one %v, in batches %v; want true for both", one.notInts.Load(), many.notInts.Load())
	}
}
