package pool

import (
	"bytes"
	"testing"

	"github.com/brinehq/brine/pkg/wire"
)

// nextFrame ends the frame under way before its last task, which begins a
// frame of its own: two well-formed frames, with the tasks in order.
func TestNextFrame(t *testing.T) {
	buf, bw := wire.BeginTasks(nil)
	buf = wire.AppendTask(buf, &wire.Task{ID: 1, Func: "echo"})
	buf = wire.AppendTask(buf, &wire.Task{ID: 2, Func: "echo"})
	at := len(buf)
	buf = wire.AppendTask(buf, &wire.Task{ID: 3, Func: "echo", Args: []byte{0x91, 0x01}})
	buf, bw, start := nextFrame(buf, bw, 2, at)
	buf, err := bw.End(buf, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := wire.NewReader(bytes.NewReader(buf), 0, 0)
	var ids []uint64
	for range 2 {
		body, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		ts, err := wire.DecodeTasks(body, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			ids = append(ids, tk.ID)
		}
	}
	if len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 || start <= 0 {
		t.Fatalf("tasks %v, second frame at %d: want 1, 2 in one frame and 3 in the next", ids, start)
	}
}
