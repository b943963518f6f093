package pool

import (
	"context"
	"testing"
)

// Items completed through a sink come back, zeroed, through a source, in
// batches; the stock keeps at most stockMax batches.
func TestStock(t *testing.T) {
	p := &Pool{}
	rs := newRunState(context.Background(), func(Result) {}, 1)
	src, snk := itemSource{p: p}, itemSink{p: p}
	first := src.next(0, fuzzCall{}, rs) // an empty stock: a new item
	if first.id != 1 || first.run != rs || src.fresh != stockBatch-1 {
		t.Fatalf("first item %+v; the source makes %d more before it looks again", first, src.fresh)
	}
	seen := map[*item]bool{}
	for range stockBatch {
		it := src.next(1, fuzzCall{}, rs)
		seen[it] = true
		snk.put(it)
	}
	if len(p.stock.full) != 1 || len(snk.batch) != 0 {
		t.Fatalf("after a batch of puts: %d full batches in stock, %d items in the sink", len(p.stock.full), len(snk.batch))
	}
	other := itemSource{p: p} // another Run's: it starts from the stock
	for i := range stockBatch {
		it := other.next(i, fuzzCall{}, rs)
		if !seen[it] {
			t.Fatalf("call %d got an item that was not put back", i)
		}
		if it.index != i || it.attempts != 0 || it.alone || it.run != rs {
			t.Fatalf("a reused item was not reset: %+v", it)
		}
		delete(seen, it)
	}
	if len(p.stock.full) != 0 {
		t.Fatal("the stock gave more than was put in it")
	}

	for range (stockMax + 3) * stockBatch {
		snk.put(new(item))
	}
	if len(p.stock.full) != stockMax {
		t.Fatalf("%d full batches kept, want at most %d", len(p.stock.full), stockMax)
	}
}
