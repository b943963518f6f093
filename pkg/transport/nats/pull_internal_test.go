package nats

import (
	"fmt"
	"testing"

	"github.com/brinehq/brine/pkg/wire"
)

// A task in two messages a worker holds at once, as when the coordinator
// published it again alone while the message it was in came again, has
// one result credited to each, the older message's first: crediting both
// to one would leave the other never acked, and its result never stored.
func TestResultsAreCreditedToTheMessagesTheyAnswer(t *testing.T) {
	older := &heldMsg{spans: []wire.Span{{First: 1, Last: 2}}, running: 2, seq: 1}
	again := &heldMsg{spans: []wire.Span{{First: 1, Last: 1}}, running: 1, seq: 3}
	other := &heldMsg{spans: []wire.Span{{First: 5, Last: 5}}, running: 1, seq: 4}
	p := &pull{held: []*heldMsg{older, again, other}}
	check := func(ids []uint64, want ...*heldMsg) {
		t.Helper()
		rs := make([]wire.Result, len(ids))
		for i, id := range ids {
			rs[i].ID = id
		}
		got := p.owners(rs)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("results %v: result %d (task %d) credited to %s, want %s", ids, i, ids[i], seqOf(got[i]), seqOf(want[i]))
			}
		}
	}
	check([]uint64{1, 2, 1, 5, 9}, older, older, again, other, nil)
	check([]uint64{1}, older) // nothing written yet
	older.running = 0
	check([]uint64{1}, again)
	again.running = 0
	check([]uint64{1}, older) // a third result of the task: the oldest message with it
}

func seqOf(h *heldMsg) string {
	if h == nil {
		return "none"
	}
	return fmt.Sprintf("the message at %d", h.seq)
}
