package worker

import (
	"context"
	"os"
	"sync"

	"github.com/rs/zerolog"
)

// A ServeFunc serves the protocol for Main over a connection that a
// transport other than pipes set up (pkg/transport/plugin: go-plugin), by
// calling Serve with ctx, log and opts. Main has already set up what every
// worker has: ctx is cancelled by SIGTERM and holds the shared conds and
// barriers, and opts include the lanes when there are any.
type ServeFunc func(ctx context.Context, log zerolog.Logger, opts ...Option) error

var servers struct {
	mu    sync.Mutex
	byEnv map[[2]string]ServeFunc
}

// RegisterServe has Main serve through serve, instead of on fds 3 and 4,
// in a worker whose environment sets env to value. A transport's package
// calls it from init, so that a binary that imports the package serves the
// workers that transport starts.
func RegisterServe(env, value string, serve ServeFunc) {
	servers.mu.Lock()
	defer servers.mu.Unlock()
	if servers.byEnv == nil {
		servers.byEnv = map[[2]string]ServeFunc{}
	}
	servers.byEnv[[2]string{env, value}] = serve
}

// registeredServe returns the ServeFunc whose environment entry this
// process has, or nil.
func registeredServe() ServeFunc {
	servers.mu.Lock()
	defer servers.mu.Unlock()
	for kv, serve := range servers.byEnv {
		if os.Getenv(kv[0]) == kv[1] {
			return serve
		}
	}
	return nil
}
