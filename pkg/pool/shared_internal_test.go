package pool

import "testing"

// The shared queue waits for room for a whole message of short tasks when
// more tasks wait than it has room for; it sends at once when all that
// waits fits, and when its tasks are long, whose messages are small and
// whose runs dwarf a message's cost.
func TestShortOfMessage(t *testing.T) {
	const spread = 2
	const short = int64(2 * maxWindow * spread) // a message of short tasks is maxWindow
	const long = int64(40 * spread)             // below queueDouble: no doubling, messages of 20
	for _, c := range []struct {
		name               string
		window, n, waiting int64
		want               bool
	}{
		{"idle", short, 0, 100000, false},
		{"room for a message", short, short - maxWindow, 100000, false},
		{"a little room, much waiting", short, short - 64, 100000, true},
		{"a little room, a little waiting", short, short - 64, 64, false},
		{"a little room, a little more waiting", short, short - 64, 65, true},
		{"long tasks", long, long - 2, 1000, false},
		{"the least doubled window", 2 * queueDouble * spread, 2*queueDouble*spread - 1, 1000, true},
	} {
		if got := shortOfMessage(c.window, spread, c.n, c.waiting); got != c.want {
			t.Errorf("%s: window %d, holding %d, %d waiting: %v, want %v", c.name, c.window, c.n, c.waiting, got, c.want)
		}
	}
}
