package plugin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// maxLogLine is the longest line relayed from a worker; the rest of a
// longer line is dropped.
const maxLogLine = 256 << 10

// relay writes what a worker prints into the pool's log, line by line,
// with the worker's id and pid. A line that is a JSON object (the worker's
// own zerolog output) keeps its level, message and fields, instead of
// being logged again as a string inside a line, as go-plugin's hclog
// would.
type relay struct {
	log  zerolog.Logger
	id   int
	pid  atomic.Int64
	tail tailBuffer // the last lines of its stderr, for error messages
}

// lines relays r, a stream of the worker's output, to its end, so that the
// worker never blocks writing. The first line goes to first instead, when
// it is not nil: go-plugin's handshake.
func (rl *relay) lines(r io.Reader, stream string, first *firstLine) {
	br := bufio.NewReaderSize(r, 4<<10)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk[:min(len(chunk), maxLogLine-len(line))]...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		switch {
		case first != nil && err == nil:
			first.give(line)
			first = nil
		case len(line) > 0:
			rl.line(bytes.TrimRight(line, "\r\n"), stream)
		}
		line = line[:0]
		if err != nil {
			if first != nil {
				first.give(nil)
			}
			return
		}
	}
}

// line logs one line the worker wrote on stream.
func (rl *relay) line(line []byte, stream string) {
	if stream == "stderr" {
		rl.tail.add(string(line))
	}
	log, pid := rl.log, int(rl.pid.Load())
	var fields map[string]any
	if len(line) > 0 && line[0] == '{' && json.Unmarshal(line, &fields) == nil {
		level, err := zerolog.ParseLevel(fmt.Sprint(fields[zerolog.LevelFieldName]))
		if err != nil || level == zerolog.NoLevel {
			level = zerolog.InfoLevel
		}
		msg, _ := fields[zerolog.MessageFieldName].(string)
		delete(fields, zerolog.LevelFieldName)
		delete(fields, zerolog.MessageFieldName)
		delete(fields, zerolog.TimestampFieldName)
		log.WithLevel(level).Fields(fields).Int("worker", rl.id).Int("pid", pid).Msg(msg)
		return
	}
	log.Info().Int("worker", rl.id).Int("pid", pid).Str("stream", stream).Msg(string(line))
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
			lw.buf = append(lw.buf, p[:min(len(p), maxLogLine-len(lw.buf))]...)
			break
		}
		line := p[:i]
		if len(lw.buf) > 0 {
			line = append(lw.buf, line[:min(len(line), maxLogLine-len(lw.buf))]...)
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

// tailBuffer keeps the last lines a worker wrote to stderr, so that an
// error about a worker that died can say what it said last.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

const tailLines = 5

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == tailLines {
		t.lines = append(t.lines[:0], t.lines[1:]...)
	}
	t.lines = append(t.lines, line)
}

// describe returns "; its stderr ended: ..." or "" when it wrote nothing.
func (t *tailBuffer) describe() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return ""
	}
	return "; its stderr ended: " + strings.Join(t.lines, " | ")
}
