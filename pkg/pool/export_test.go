package pool

import "time"

// SetTaskNanos sets the pool's estimate of how long a task runs, which sizes
// the chunks of the next Run until results revise it: 1 makes them as large
// as they may be.
func SetTaskNanos(p *Pool, nanos int64) { p.taskNanos.Store(nanos) }

// UseLanes gives the workers of pools started from now on shared-memory
// lanes for large payloads, or not, and returns the setting to restore.
func UseLanes(on bool) (was bool) {
	was, useLanes = useLanes, on
	return was
}

// DirectCalls is how many lone calls of p their callers sent and read
// themselves (see direct.go).
func DirectCalls(p *Pool) int64 { return p.directCalls.Load() }

// ParkedReceivers is how many of a process pool's receivers are parked,
// lending their reading to a caller that would send a lone call.
func ParkedReceivers(p *Pool) int {
	n := 0
	p.b.(*processes).eachProc(func(w *proc) {
		w.mu.Lock()
		if w.lend.state == rxParked {
			n++
		}
		w.mu.Unlock()
	})
	return n
}

// DefaultSpin is Options.Spin's default on a machine of two or more processors.
const DefaultSpin = defaultSpin

// CallerSpin is how long a lone call's caller on p would poll for its result.
func CallerSpin(p *Pool) time.Duration { return p.callerSpin() }
