package prefault

import (
	"bufio"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
)

func TestSlice(t *testing.T) {
	s := Slice[int](100)
	if len(s) != 0 || cap(s) != 100 {
		t.Fatalf("len %d cap %d, want 0 and 100", len(s), cap(s))
	}
	for _, v := range s[:cap(s)] {
		if v != 0 {
			t.Fatalf("a slice made with a value: %v", s[:cap(s)])
		}
	}
}

// The reader reads r, and only r: nothing of the zeros it filled its
// buffer with, and it still buffers size bytes.
func TestReader(t *testing.T) {
	const size = 64 << 10
	br := Reader(strings.NewReader("frames"), size)
	if br.Size() != size {
		t.Errorf("buffer of %d bytes, want %d", br.Size(), size)
	}
	if n := br.Buffered(); n != 0 {
		t.Errorf("%d bytes buffered before the first read, want none", n)
	}
	got, err := io.ReadAll(br)
	if err != nil || string(got) != "frames" {
		t.Errorf("read %q, %v; want %q", got, err, "frames")
	}
}

// Writing a buffer Slice made takes no page faults of its own: they were
// taken as it was made. Under the race detector, writes fault its shadow
// memory in too, which a buffer from make pays as well: so Slice's are
// counted against those of make's, which, written through at first use,
// takes both.
func TestWrittenThrough(t *testing.T) {
	debug.FreeOSMemory()   // what the runtime holds free would be backed already
	runtime.LockOSThread() // faults are counted for this thread
	defer runtime.UnlockOSThread()
	const size, pages = 4 << 20, 4 << 20 / 4096
	writeFaults := func(b []byte) int64 {
		before := threadFaults(t)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		return threadFaults(t) - before
	}
	control := writeFaults(make([]byte, size))
	checkFewer(t, control, pages, writeFaults(Slice[byte](size)[:size]), "writing a buffer Slice made")
}

// A Reader's first read of a buffer's worth takes no page faults for its
// buffer.
func TestReaderWrittenThrough(t *testing.T) {
	if raceShadow {
		t.Skip("under the race detector, a copy into the buffer faults in its shadow memory as well, whatever the buffer")
	}
	debug.FreeOSMemory()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const size, pages = 4 << 20, 4 << 20 / 4096
	src := strings.Repeat("x", size)
	dst := Slice[byte](1)[:1] // a read of one byte, for which the reader fills its whole buffer from src
	readFaults := func(br *bufio.Reader) int64 {
		before := threadFaults(t)
		br.Read(dst)
		return threadFaults(t) - before
	}
	control := readFaults(bufio.NewReaderSize(strings.NewReader(src), size))
	checkFewer(t, control, pages, readFaults(Reader(strings.NewReader(src), size)), "a first read into a Reader's buffer")
}

// checkFewer fails t unless n, the faults of what prefault made, is at
// least half of pages below control, those of the same made without it; it
// skips t when control is too few to tell.
func checkFewer(t *testing.T, control int64, pages int, n int64, what string) {
	t.Helper()
	if control < int64(pages/2) {
		t.Skipf("the same made without prefault took %d page faults for %d pages: the runtime reused memory, or the kernel backs it with huge pages", control, pages)
	}
	if n > control-int64(pages/2) {
		t.Errorf("%s took %d page faults, the same made without prefault %d: want at least %d fewer", what, n, control, pages/2)
	}
}

// raceShadow is set under the race detector.
var raceShadow bool

func threadFaults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		t.Skipf("no page fault counts for a thread here: %v", err)
	}
	return ru.Minflt
}
