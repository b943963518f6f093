// Package output relays what worker processes print into the pool's log,
// for the transports: line by line, with the worker's id and pid, a line
// that is the worker's own zerolog JSON keeping its level and fields, and
// the last lines of stderr kept for error messages.
package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/rs/zerolog"
)

// MaxLine is the longest line relayed from a worker; the rest of a longer
// line is dropped.
const MaxLine = 256 << 10

// Lines reads r to its end, so that the writer never blocks, and calls
// each with every line, without its line ending, cut at MaxLine; a last
// line without one too.
func Lines(r io.Reader, each func(line []byte)) {
	br := bufio.NewReaderSize(r, 4<<10)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk[:min(len(chunk), MaxLine-len(line))]...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 {
			each(bytes.TrimRight(line, "\r\n"))
		}
		line = line[:0]
		if err != nil {
			return
		}
	}
}

// Log logs line, which worker id (process pid) wrote on stream: a JSON
// object, the worker's own log, at its level with its message and fields;
// anything else at info, as a message, with the stream's name.
func Log(log zerolog.Logger, id, pid int, line []byte, stream string) {
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
		log.WithLevel(level).Fields(fields).Int("worker", id).Int("pid", pid).Msg(msg)
		return
	}
	log.Info().Int("worker", id).Int("pid", pid).Str("stream", stream).Msg(string(line))
}

// Tail keeps the last lines a worker wrote to stderr, so that an error
// about a worker that died can say what it said last, and the first line
// of a Go runtime's crash report ("fatal error: ...", "panic: ...",
// "runtime: ..."), which a long stack trace would push out. Its zero value
// is empty and ready; it is safe for concurrent use.
type Tail struct {
	mu    sync.Mutex
	lines []string
	crash string
}

// tailLines is how many lines a Tail keeps.
const tailLines = 5

// Add keeps line, dropping the oldest past tailLines.
func (t *Tail) Add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.crash == "" && isCrash(line) {
		t.crash = line
	}
	if len(t.lines) == tailLines {
		t.lines = append(t.lines[:0], t.lines[1:]...)
	}
	t.lines = append(t.lines, line)
}

func isCrash(line string) bool {
	for _, p := range []string{"fatal error: ", "panic: ", "runtime: "} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// Crash returns the first line of the crash report the worker wrote, or "".
func (t *Tail) Crash() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.crash
}

// Describe returns "; it crashed: ...; its stderr ended: ..." or "" when
// nothing was kept.
func (t *Tail) Describe() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	if t.crash != "" && !slices.Contains(t.lines, t.crash) {
		b.WriteString("; it crashed: " + t.crash)
	}
	if len(t.lines) > 0 {
		b.WriteString("; its stderr ended: " + strings.Join(t.lines, " | "))
	}
	return b.String()
}
