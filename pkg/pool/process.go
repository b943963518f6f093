package pool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/brinehq/brine/pkg/worker"
)

// processes is the process backend: one slot per worker, each supervised
// by a goroutine that respawns its process when it dies.
type processes struct {
	p     *Pool
	cmd   []string
	names []string // functions of the first worker; every worker must match
	slots []*slot
	wg    sync.WaitGroup // supervisors
}

// slot is a worker's place in the pool, which outlives its processes.
type slot struct {
	id       int
	mu       sync.Mutex
	cur      *proc
	restarts int
	tasks    atomic.Int64
}

func startProcesses(ctx context.Context, p *Pool) (*processes, error) {
	cmd := p.opts.Command
	if len(cmd) == 0 {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("pool: finding this executable to run as a worker: %w", err)
		}
		cmd = []string{self}
	}
	b := &processes{p: p, cmd: cmd, slots: make([]*slot, p.opts.Workers)}
	procs := make([]*proc, len(b.slots))
	errs := make([]error, len(b.slots))
	var wg sync.WaitGroup
	for i := range b.slots {
		b.slots[i] = &slot{id: i}
		wg.Go(func() { procs[i], errs[i] = b.spawn(ctx, b.slots[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, w := range procs {
			if w != nil {
				w.kill()
				w.wait()
			}
		}
		return nil, firstErr(errs)
	}
	b.names = procs[0].hello.Funcs
	for i, w := range procs {
		if !slices.Equal(w.hello.Funcs, b.names) {
			err := fmt.Errorf("pool: workers 0 and %d have different functions: build them from the same code", i)
			for _, w := range procs {
				w.kill()
				w.wait()
			}
			return nil, err
		}
	}
	for i, s := range b.slots {
		s.cur = procs[i]
		b.wg.Add(1)
		go b.supervise(s, procs[i]) // owned by b.wg, awaited in close
	}
	return b, nil
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *processes) funcs() []string { return b.names }

func (b *processes) workers() []WorkerInfo {
	ws := make([]WorkerInfo, len(b.slots))
	for i, s := range b.slots {
		s.mu.Lock()
		ws[i] = WorkerInfo{ID: s.id, Tasks: s.tasks.Load(), Restarts: s.restarts}
		if s.cur != nil {
			ws[i].PID = s.cur.pid
		}
		s.mu.Unlock()
	}
	return ws
}

// supervise serves w and, while the pool is open, replaces it when it dies.
func (b *processes) supervise(s *slot, w *proc) {
	defer b.wg.Done()
	fails := 0
	for {
		started := time.Now()
		exit := w.serve()
		b.salvage(w, exit)
		if b.closing() {
			return
		}
		b.p.opts.Logger.Warn().Int("worker", s.id).Int("pid", w.pid).Err(exit).Msg("worker died; starting another")
		// Back off when workers die young, so a crash loop does not spin.
		if time.Since(started) < time.Second {
			fails++
		} else {
			fails = 0
		}
		for {
			if !b.sleep(backoff(fails)) {
				return
			}
			next, err := b.spawn(context.Background(), s)
			if err == nil {
				w = next
				break
			}
			fails++
			b.p.opts.Logger.Error().Int("worker", s.id).Err(err).Msg("respawning worker")
		}
		s.mu.Lock()
		s.cur, s.restarts = w, s.restarts+1
		s.mu.Unlock()
	}
}

func backoff(fails int) time.Duration {
	if fails == 0 {
		return 0
	}
	return min(time.Duration(1<<min(fails, 10))*5*time.Millisecond, 2*time.Second)
}

// sleep waits d unless the pool closes first, and reports whether it did not.
func (b *processes) sleep(d time.Duration) bool {
	if d <= 0 {
		return !b.closing()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.p.quit:
		return false
	}
}

func (b *processes) closing() bool {
	select {
	case <-b.p.quit:
		return true
	default:
		return false
	}
}

// salvage gives the tasks a dead worker held another chance, or fails them.
func (b *processes) salvage(w *proc, exit error) {
	for _, it := range w.takeInflight() {
		switch {
		case it.run.ctx.Err() != nil:
			it.cancelled(it.run.ctx.Err())
		case b.closing():
			it.cancelled(ErrClosed)
		case it.attempts <= b.p.opts.Retries:
			b.p.retry <- it // never blocks: retry holds every task that can be in flight
		default:
			it.complete(Result{Worker: w.slot.id, PID: w.pid, Err: &TaskError{
				Kind: "worker_died", Message: exit.Error(), Func: it.call.Func(), Worker: w.slot.id, PID: w.pid}})
		}
	}
}

// close lets workers finish the tasks they hold within the grace period,
// then terminates what is left, and waits for every supervisor.
func (b *processes) close() error {
	for _, s := range b.slots {
		s.mu.Lock()
		if s.cur != nil {
			s.cur.closeInput()
		}
		s.mu.Unlock()
	}
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }() // ends when the supervisors do, which close awaits
	for _, sig := range []syscall.Signal{0, syscall.SIGTERM, syscall.SIGKILL} {
		if sig != 0 {
			b.signalAll(sig)
		}
		wait := b.p.opts.Grace
		if sig == syscall.SIGTERM {
			wait = time.Second
		}
		select {
		case <-done:
			return nil
		case <-time.After(wait):
		}
	}
	<-done
	return nil
}

func (b *processes) signalAll(sig syscall.Signal) {
	for _, s := range b.slots {
		s.mu.Lock()
		if s.cur != nil {
			s.cur.signal(sig)
		}
		s.mu.Unlock()
	}
}

// envFor returns the environment of a worker process.
func (b *processes) env() []string {
	env := append(os.Environ(), worker.EnvMarker+"=1", worker.EnvLogLevel+"="+b.p.opts.LogLevel)
	return append(env, b.p.opts.Env...)
}
