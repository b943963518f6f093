package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/brinehq/brine/internal/prefault"
)

// MaxFrame is the largest frame body, in bytes, that a Reader accepts unless
// told otherwise. It leaves room for a batch of tasks or a few large
// payloads; a single argument or result larger than this cannot be sent.
const MaxFrame = 64 << 20

// MaxHello is the largest Hello body, in bytes, that a coordinator reads
// (docs/PROTOCOL.md §3): a worker that declares more is refused before its
// body is read.
const MaxHello = 1 << 20

// HeaderSize is the size of the length prefix before every frame body.
const HeaderSize = 4

// growStep is the most a Reader allocates for a body before any of it has
// arrived; the buffer then doubles as bytes arrive, so a peer that declares a
// large frame and sends k bytes makes it hold at most max(2k, growStep). It
// is large enough that a frame of a 1 MiB payload needs no second buffer.
const growStep = 4 << 20

// Reader reads frames from a stream. It is not safe for concurrent use.
type Reader struct {
	r   *bufio.Reader
	src io.Reader // what r reads from, which large bodies are read from directly
	max int
	hdr [HeaderSize]byte

	// What SetFrameTimeout set: the bound, and a timer that calls its
	// function, armed while a begun frame is incomplete.
	stall     time.Duration
	stallOnce sync.Once
	stallT    *time.Timer
}

// directRead is the least a body read goes to the stream for directly,
// rather than through the Reader's buffer: a large body would be copied
// twice, and small ones gain from the buffer's read-ahead.
const directRead = 32 << 10

// NewReader returns a Reader of r with a buffer of size bytes (at least 4 KiB)
// that accepts frames up to max bytes (MaxFrame when max ≤ 0). The buffer
// is written through as it is made (internal/prefault): a Reader lives as
// long as its stream, and would otherwise fault its pages in during the
// first run that sends it frames faster than they are read.
func NewReader(r io.Reader, size, max int) *Reader {
	if max <= 0 {
		max = MaxFrame
	}
	return &Reader{r: prefault.Reader(r, max64k(size)), src: r, max: max}
}

func max64k(n int) int { return max(n, 4<<10) }

// Next reads one frame and returns its body in a newly allocated slice that
// the caller owns. It returns io.EOF when the stream ends cleanly between
// frames, ErrTruncated when it ends inside one, and ErrFrameTooLarge or
// ErrEmptyFrame for a bad length, before allocating anything.
func (r *Reader) Next() ([]byte, error) { return r.NextInto(nil) }

// NextInto is Next reading the body into buf's storage, overwriting it,
// when the body fits, so that a reader done with one body before it reads
// the next allocates nothing; otherwise it allocates as Next does and leaves
// buf alone.
func (r *Reader) NextInto(buf []byte) ([]byte, error) {
	if r.stall > 0 {
		// Wait for the frame's first byte with no bound: a peer may be
		// silent between frames for as long as it likes.
		if _, err := r.r.Peek(1); err != nil {
			return nil, err
		}
		if !r.Ready() {
			r.stallT.Reset(r.stall)
			defer r.stallT.Stop()
		}
	}
	if k, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, k, HeaderSize)
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(r.hdr[:])
	switch {
	case n == 0:
		return nil, ErrEmptyFrame
	case uint64(n) > uint64(r.max):
		return nil, fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, n, r.max)
	}
	return r.body(int(n), buf)
}

// SetFrameTimeout bounds how long a frame may take to arrive once its
// first byte has: when one is still incomplete d later, the Reader calls
// expired, once, on a goroutine of its own. expired should end the stream
// (kill its writer), so that the read in progress fails with
// ErrTruncated. Between frames there is no bound. It must be called before
// the first Next, and only once.
func (r *Reader) SetFrameTimeout(d time.Duration, expired func()) {
	if d <= 0 {
		return
	}
	r.stall = d
	r.stallT = time.AfterFunc(time.Hour, func() { r.stallOnce.Do(expired) })
	r.stallT.Stop()
}

// Ready reports whether a whole frame is already buffered, so that Next
// returns it without reading from the stream: a worker writes its pending
// results only when it is not, before it would wait for input.
func (r *Reader) Ready() bool {
	n := r.r.Buffered()
	if n < HeaderSize {
		return false
	}
	hdr, _ := r.r.Peek(HeaderSize) // buffered: cannot block or fail
	return uint64(n-HeaderSize) >= uint64(binary.BigEndian.Uint32(hdr))
}

// body reads n bytes into buf, or, when they do not fit, a buffer grown as
// data arrives rather than sized by the declared length up front.
func (r *Reader) body(n int, buf []byte) ([]byte, error) {
	if cap(buf) >= n {
		buf = buf[:0]
	} else {
		buf = make([]byte, 0, min(n, growStep))
	}
	for len(buf) < n {
		if len(buf) == cap(buf) {
			// Exact doubling: append's own growth would overshoot n and,
			// under -race, allocate a temporary for make.
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		chunk := buf[len(buf):min(n, cap(buf))]
		var from io.Reader = r.r
		if b := r.r.Buffered(); b > 0 {
			chunk = chunk[:min(len(chunk), b)] // what is buffered goes first
		} else if len(chunk) >= directRead {
			from = r.src
		}
		k, err := io.ReadFull(from, chunk)
		buf = buf[:len(buf)+k]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: %d of %d body bytes", ErrTruncated, len(buf), n)
			}
			return nil, err
		}
	}
	return buf, nil
}

// beginFrame reserves room for a length prefix and returns the offset of the
// frame within b.
func beginFrame(b []byte) ([]byte, int) {
	return append(b, 0, 0, 0, 0), len(b)
}

// endFrame writes the length prefix of the frame that starts at start and
// ends rest bytes after b.
func endFrame(b []byte, start, rest int) ([]byte, error) {
	n := len(b) - start - HeaderSize + rest
	if n > MaxFrame {
		return b[:start], fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, n, MaxFrame)
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	return b, nil
}

// FrameSize returns the size in bytes of a frame whose body is n bytes long.
func FrameSize(n int) int { return HeaderSize + n }
