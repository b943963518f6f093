// Package prefault makes buffers whose memory is written through before
// their first use.
//
// Memory the Go runtime takes fresh from the kernel is backed page by page
// as it is first written, a page fault each. A buffer made at a pool's or
// a worker's start and filled only as the first large run needs it pays
// those faults in the middle of that run, one for each page it reaches; on
// a virtual machine a fault can cost as much as a hundred trivial tasks
// (bench/RESULTS.md, "Design measurements": Buffers written through as
// they are made). A buffer written through as it is made pays them then,
// where its maker waits on something else: a worker for its coordinator,
// a coordinator for its workers to start.
package prefault

import (
	"bufio"
	"io"
)

// Slice returns a slice of length 0 and capacity n whose memory has been
// written.
func Slice[T any](n int) []T {
	s := make([]T, n)
	clear(s) // a write, which the kernel backs; make alone writes nothing to fresh memory
	return s[:0]
}

// Reader returns a bufio.Reader of r with a buffer of size bytes whose
// memory has been written: a reader's buffer is filled from its start,
// and reaches its later pages only when a read finds that many bytes
// waiting, as under a heavy load.
func Reader(r io.Reader, size int) *bufio.Reader {
	br := bufio.NewReaderSize(zeros{}, size)
	br.Peek(size) // one read, over the whole buffer
	br.Reset(r)   // the buffer is kept
	return br
}

// zeros reads as an endless run of zero bytes, which it writes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
