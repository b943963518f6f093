package worker

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/brinehq/brine/pkg/cond"
)

// withSharedObjects maps the run's conds and barriers from the descriptor
// EnvCondFD names, if any, and returns a context that hands them to tasks
// (cond.FromContext) and a function that unmaps them.
func withSharedObjects(ctx context.Context) (context.Context, func(), error) {
	v := os.Getenv(EnvCondFD)
	if v == "" {
		return ctx, func() {}, nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return ctx, nil, fmt.Errorf("worker: %s=%q is not a descriptor", EnvCondFD, v)
	}
	r, err := cond.OpenRegion(os.NewFile(uintptr(fd), "brine-cond"))
	if err != nil {
		return ctx, nil, fmt.Errorf("worker: %w", err)
	}
	return cond.NewContext(ctx, r.Objects()), func() { r.Close() }, nil
}
