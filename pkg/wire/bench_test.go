package wire_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/brinehq/brine/pkg/wire"
)

// The benchmarks use small tasks like those of the built-in jobs: a short
// name, a bound int and an int argument. ns/task divides by the batch size.

func benchTasks(n int) []wire.Task {
	ts := make([]wire.Task, n)
	for i := range ts {
		ts[i] = wire.Task{ID: uint64(1000 + i), Func: "primes", Bound: []byte{0x91, 0xcd, 0x27, 0x10}, Args: []byte{0x91, 0xcd, 0x01, byte(i)}}
	}
	return ts
}

func benchResults(n int) []wire.Result {
	rs := make([]wire.Result, n)
	for i := range rs {
		rs[i] = wire.Result{ID: uint64(1000 + i), Value: []byte{0xcd, 0x04, 0xcd}, Nanos: 81234}
	}
	return rs
}

var batchSizes = []int{1, 100}

func perTask(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
}

func BenchmarkAppendTasks(b *testing.B) {
	for _, n := range batchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ts := benchTasks(n)
			buf, _ := wire.AppendTasks(nil, ts)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = wire.AppendTasks(buf[:0], ts)
			}
			perTask(b, n)
		})
	}
}

func BenchmarkDecodeTasks(b *testing.B) {
	for _, n := range batchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			frame, _ := wire.AppendTasks(nil, benchTasks(n))
			body := frame[wire.HeaderSize:]
			dst := make([]wire.Task, 0, n)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = wire.DecodeTasks(body, dst[:0]); err != nil {
					b.Fatal(err)
				}
			}
			perTask(b, n)
		})
	}
}

func BenchmarkAppendResults(b *testing.B) {
	for _, n := range batchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rs := benchResults(n)
			buf, _ := wire.AppendResults(nil, rs)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = wire.AppendResults(buf[:0], rs)
			}
			perTask(b, n)
		})
	}
}

func BenchmarkDecodeResults(b *testing.B) {
	for _, n := range batchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			frame, _ := wire.AppendResults(nil, benchResults(n))
			body := frame[wire.HeaderSize:]
			dst := make([]wire.Result, 0, n)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = wire.DecodeResults(body, dst[:0]); err != nil {
					b.Fatal(err)
				}
			}
			perTask(b, n)
		})
	}
}

// BenchmarkReaderNext reads frames of a 1-task and a 100-task batch from an
// endless in-memory stream.
func BenchmarkReaderNext(b *testing.B) {
	for _, n := range batchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			frame, _ := wire.AppendTasks(nil, benchTasks(n))
			stream := bytes.Repeat(frame, max(1, 64<<10/len(frame)))
			src := &loop{b: stream}
			r := wire.NewReader(src, 64<<10, 0)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Next(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// loop reads b over and over; it holds whole frames, so it stays in step.
type loop struct {
	b []byte
	i int
}

func (l *loop) Read(p []byte) (int, error) {
	k := copy(p, l.b[l.i:])
	l.i = (l.i + k) % len(l.b)
	return k, nil
}
