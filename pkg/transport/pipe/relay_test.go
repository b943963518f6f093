package pipe

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/transport/internal/output"
)

// A line longer than maxLogLine is cut, and the lines after it are still
// relayed, as is a last line without a newline.
func TestRelayLongLines(t *testing.T) {
	var out strings.Builder
	w := &worker{log: zerolog.New(&out), relaysDone: make(chan struct{})}
	w.relaysLeft.Store(1)
	w.relays.Add(1)
	long := strings.Repeat("x", output.MaxLine+1000)
	w.relay(strings.NewReader("first\n"+long+"\r\nafter\nlast"), "stderr")
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec struct{ Message string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, rec.Message)
	}
	if len(msgs) != 4 || msgs[0] != "first" || msgs[1] != long[:output.MaxLine] || msgs[2] != "after" || msgs[3] != "last" {
		t.Errorf("relayed %d lines: %.40q", len(msgs), msgs)
	}
	if got := w.tail.Describe(); !strings.HasSuffix(got, "after | last") {
		t.Errorf("tail %.60q", got)
	}
	select {
	case <-w.Ended():
	default:
		t.Error("the last relay ended, but the worker is not reported ended")
	}
}
