package pool

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The in-flight set finds every task once, whatever order the answers
// come in, keeps the oldest task at its front, and stays small.
func TestFlight(t *testing.T) {
	for _, order := range []string{"in order", "reversed", "shuffled"} {
		t.Run(order, func(t *testing.T) {
			var f flight
			var next uint64
			rng := rand.New(rand.NewPCG(1, 2))
			for round := range 20 {
				var sent []uint64
				for range 1 + rng.IntN(3000) {
					next++
					f.push(&item{id: next})
					sent = append(sent, next)
				}
				answers := slices.Clone(sent)
				switch order {
				case "reversed":
					slices.Reverse(answers)
				case "shuffled":
					rng.Shuffle(len(answers), func(i, j int) { answers[i], answers[j] = answers[j], answers[i] })
				}
				hint, answered := 0, map[uint64]bool{}
				for k, id := range answers {
					answered[id] = true
					at := f.find(id, hint)
					if at < 0 {
						t.Fatalf("round %d: task %d not found", round, id)
					}
					if it := f.take(at); it.id != id {
						t.Fatalf("round %d: found task %d for %d", round, it.id, id)
					}
					if f.find(id, at) >= 0 {
						t.Fatalf("round %d: task %d found after it was taken", round, id)
					}
					hint = at + 1
					if k%100 == 99 { // results arrive in batches
						f.settle()
						hint = 0
						var front uint64 // 0: none
						if first := f.first(); first != nil {
							front = first.id
						}
						if want := oldestLeft(sent, answered); front != want {
							t.Fatalf("round %d: front is task %d, want %d", round, front, want)
						}
					}
				}
				f.settle()
				if f.live != 0 || f.first() != nil || len(f.q) != 0 {
					t.Fatalf("round %d: %d live, %d slots left after every answer", round, f.live, len(f.q))
				}
			}
		})
	}
}

func oldestLeft(sent []uint64, answered map[uint64]bool) uint64 {
	for _, id := range sent {
		if !answered[id] {
			return id
		}
	}
	return 0
}

// A claim that fails puts back what it took; takeAll returns the rest in
// the order sent.
func TestFlightPutAndTakeAll(t *testing.T) {
	var f flight
	for id := range uint64(5) {
		f.push(&item{id: id + 1})
	}
	a, b := f.find(2, 0), f.find(4, 0)
	x, y := f.take(a), f.take(b)
	f.put(a, x)
	f.put(b, y)
	f.take(f.find(1, 0))
	f.settle()
	var ids []uint64
	for _, it := range f.takeAll() {
		ids = append(ids, it.id)
	}
	if !slices.Equal(ids, []uint64{2, 3, 4, 5}) || f.live != 0 || f.first() != nil {
		t.Fatalf("takeAll = %v, live %d", ids, f.live)
	}
}
