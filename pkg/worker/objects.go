package worker

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/wire"
)

// withSharedObjects maps the run's conds and barriers from the descriptor
// wire.EnvCondFD names, if any, and returns a context that hands them to tasks
// (cond.FromContext) and a function that unmaps them.
func withSharedObjects(ctx context.Context) (context.Context, func(), error) {
	v := os.Getenv(wire.EnvCondFD)
	if v == "" {
		return ctx, func() {}, nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return ctx, nil, fmt.Errorf("worker: %s=%q is not a descriptor", wire.EnvCondFD, v)
	}
	keepFromChildren(fd)
	r, err := cond.OpenRegion(os.NewFile(uintptr(fd), "brine-cond"))
	if err != nil {
		return ctx, nil, fmt.Errorf("worker: %w", err)
	}
	return cond.NewContext(ctx, r.Objects()), func() { r.Close() }, nil
}

// openLanes maps the lanes for large payloads from the descriptor wire.EnvLaneFD
// names, if any. A worker that cannot map them works without: its Hello
// does not declare them, and the coordinator sends every payload in frames.
func openLanes(log zerolog.Logger) *lane.Pair {
	v := os.Getenv(wire.EnvLaneFD)
	if v == "" {
		return nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		log.Warn().Str(wire.EnvLaneFD, v).Msg("not a descriptor: payloads go in frames")
		return nil
	}
	keepFromChildren(fd)
	p, err := lane.Open(os.NewFile(uintptr(fd), "brine-lane"))
	if err != nil {
		log.Warn().Err(err).Msg("payloads go in frames")
		return nil
	}
	return p
}
