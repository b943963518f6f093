package pool_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/wire"
)

// An argument too large for any frame fails at once, as an encode error
// that names the limit, instead of leaving its task in flight for ever, and
// the pool goes on.
func TestArgumentsPastTheFrameLimit(t *testing.T) {
	p := startPool(t, pool.WithWorkers(1))
	_, err := pool.Map(bounded(t), p, jobs.Echo, [][]byte{make([]byte, wire.MaxFrame)})
	var te *pool.TaskError
	if !errors.As(err, &te) || te.Kind != pool.KindEncode || !strings.Contains(err.Error(), "wire.MaxFrame") {
		t.Fatalf("an argument of MaxFrame bytes: %v, want an encode error naming the limit", err)
	}
	if _, err := pool.Map(bounded(t), p, jobs.Echo, [][]byte{[]byte("after")}); err != nil {
		t.Fatalf("the pool after the refusal: %v", err)
	}
}
