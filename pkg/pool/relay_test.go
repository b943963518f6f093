package pool

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// A line longer than maxLogLine is cut, and the lines after it are still
// relayed, as is a last line without a newline.
func TestRelayLongLines(t *testing.T) {
	var out strings.Builder
	p := &Pool{opts: Options{Logger: zerolog.New(&out)}}
	w := newProc(&processes{p: p}, &slot{})
	w.relays.Add(1)
	long := strings.Repeat("x", maxLogLine+1000)
	w.relay(strings.NewReader("first\n"+long+"\r\nafter\nlast"), "stderr")
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec struct{ Message string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, rec.Message)
	}
	if len(msgs) != 4 || msgs[0] != "first" || msgs[1] != long[:maxLogLine] || msgs[2] != "after" || msgs[3] != "last" {
		t.Errorf("relayed %d lines: %.40q", len(msgs), msgs)
	}
	if got := w.tail.describe(); !strings.HasSuffix(got, "after | last") {
		t.Errorf("tail %.60q", got)
	}
}
