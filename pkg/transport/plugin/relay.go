package plugin

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"

	"github.com/brinehq/brine/pkg/transport/internal/output"
	"github.com/rs/zerolog"
)

// relay writes what a worker prints into the pool's log, line by line,
// with the worker's id and pid. A line that is a JSON object (the worker's
// own zerolog output) keeps its level, message and fields, instead of
// being logged again as a string inside a line, as go-plugin's hclog
// would.
type relay struct {
	log  zerolog.Logger
	id   int
	pid  atomic.Int64
	tail output.Tail // the last lines of its stderr, for error messages
}

// lines relays r, a stream of the worker's output, to its end, so that the
// worker never blocks writing. The first line goes to first instead, when
// it is not nil: go-plugin's handshake.
func (rl *relay) lines(r io.Reader, stream string, first *firstLine) {
	output.Lines(r, func(line []byte) {
		if first != nil {
			first.give(append(line, '\n')) // a line, as go-plugin reads it
			first = nil
			return
		}
		rl.line(line, stream)
	})
	if first != nil {
		first.give(nil)
	}
}

// line logs one line the worker wrote on stream.
func (rl *relay) line(line []byte, stream string) {
	if stream == "stderr" {
		rl.tail.Add(string(line))
	}
	output.Log(rl.log, rl.id, int(rl.pid.Load()), line, stream)
}

// writer returns an io.Writer that relays what is written to it, line by
// line: go-plugin's copy of what the worker's Go code writes to os.Stdout
// and os.Stderr, which go-plugin's server redirects.
func (rl *relay) writer(stream string) io.Writer {
	return &lineWriter{rl: rl, stream: stream}
}

type lineWriter struct {
	rl     *relay
	stream string
	mu     sync.Mutex
	buf    []byte // the start of a line not ended yet
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			lw.buf = append(lw.buf, p[:min(len(p), output.MaxLine-len(lw.buf))]...)
			break
		}
		line := p[:i]
		if len(lw.buf) > 0 {
			line = append(lw.buf, line[:min(len(line), output.MaxLine-len(lw.buf))]...)
		}
		lw.rl.line(bytes.TrimRight(line, "\r"), lw.stream)
		lw.buf, p = lw.buf[:0], p[i+1:]
	}
	return n, nil
}

// firstLine is the worker's stdout as go-plugin's client reads it: the
// first line only, where go-plugin's server announces its address.
type firstLine struct {
	ch   chan []byte
	rest []byte
	got  bool
}

func newFirstLine() *firstLine { return &firstLine{ch: make(chan []byte, 1)} }

// give hands the first line over, or nil for none: the stdout ended.
func (f *firstLine) give(line []byte) {
	if line != nil {
		f.ch <- bytes.Clone(line)
	}
	close(f.ch)
}

// Read reads the first line, then returns io.EOF. One goroutine reads.
func (f *firstLine) Read(p []byte) (int, error) {
	if !f.got {
		f.rest, f.got = <-f.ch, true
	}
	if len(f.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.rest)
	f.rest = f.rest[n:]
	return n, nil
}

func (f *firstLine) Close() error { return nil }
