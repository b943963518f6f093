package pipe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/rs/zerolog"
)

// maxLogLine is the longest line relayed from a worker; the rest of a
// longer line is dropped.
const maxLogLine = 256 << 10

// relay copies a worker's stdout or stderr into the pool's log, line by
// line, with the worker's id and pid. A line that is a JSON object (the
// worker's own zerolog output) keeps its level, message and fields. It
// reads to the end of the stream, so the worker never blocks writing.
func (w *worker) relay(r io.Reader, stream string) {
	defer w.relays.Done()
	defer func() {
		if w.relaysLeft.Add(-1) == 0 {
			close(w.relaysDone)
		}
	}()
	log := w.log
	br := bufio.NewReaderSize(r, 4<<10)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk[:min(len(chunk), maxLogLine-len(line))]...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 {
			text := bytes.TrimRight(line, "\r\n")
			if stream == "stderr" {
				w.tail.add(string(text))
			}
			w.logLine(log, text, stream)
		}
		line = line[:0]
		if err != nil {
			return
		}
	}
}

func (w *worker) logLine(log zerolog.Logger, line []byte, stream string) {
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
		log.WithLevel(level).Fields(fields).Int("worker", w.id).Int("pid", w.pid).Msg(msg)
		return
	}
	log.Info().Int("worker", w.id).Int("pid", w.pid).Str("stream", stream).Msg(string(line))
}

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
