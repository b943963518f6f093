package nats

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

func init() { register() }

// register has worker.Main serve through this transport when the
// process's environment names servers.
func register() {
	if urls := os.Getenv(envURL); urls != "" {
		worker.RegisterServe(envURL, urls, Serve)
	}
}

// JoinMain is the main of `worker -nats URL`: it has worker.Main join a
// run of the servers at urls, with the TLS files given (any may be ""),
// and returns its exit status. The token comes from BRINE_NATS_TOKEN.
func JoinMain(urls []string, tlsCert, tlsKey, tlsCA string, opts ...worker.Option) int {
	os.Setenv(wire.EnvMarker, "1")
	os.Setenv(envURL, strings.Join(urls, ","))
	for k, v := range map[string]string{envTLSCert: tlsCert, envTLSKey: tlsKey, envTLSCA: tlsCA} {
		if v != "" {
			os.Setenv(k, v)
		}
	}
	register()
	return worker.Main(opts...)
}

// Serve is the worker's half of the transport, which worker.Main runs
// when the worker's environment names servers (JoinEnv): it connects,
// joins a run, and runs worker.Serve on the frames of its subject with the
// functions of task.Default. It returns what worker.Serve returns once its
// last frame is published. It exits the process when the coordinator
// stops beating or says so (Terminate, Kill).
func Serve(ctx context.Context, log zerolog.Logger, opts ...worker.Option) error {
	urls := strings.Split(os.Getenv(envURL), ",")
	host, _ := os.Hostname()
	nopts := clientOptions(fmt.Sprintf("brine worker %s:%d", host, os.Getpid()),
		os.Getenv(EnvToken), os.Getenv(envTLSCert), os.Getenv(envTLSKey), os.Getenv(envTLSCA))
	launch := os.Getenv(envLaunch)
	// The programs its tasks start do not inherit the way in, nor the
	// token: one that is a worker too would take itself for this one.
	for _, env := range []string{envURL, envLaunch, EnvToken, envTLSCert, envTLSKey, envTLSCA} {
		os.Unsetenv(env)
	}
	nc, err := connectWithin(ctx, log, serverWait, urls, nopts)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(callTimeout))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	in, pw, err := os.Pipe() // worker.Serve polls a descriptor for cancels (docs/PROTOCOL.md §5.2)
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	objs := newObjects() // bound once the worker joins, before its first task
	defer objs.Close()
	ctx = cond.NewContext(ctx, objs)
	s := &session{ctx: ctx, objs: objs, nc: nc, js: js, log: log, pr: in, pw: pw, launch: launch, done: make(chan struct{})}
	defer s.close()
	err = worker.Serve(ctx, in, s, task.Default, log, opts...)
	s.finish(err)
	return err
}

// serverWait is how long a worker waits for a server that does not answer
// yet: one started before its coordinator.
const serverWait = 30 * time.Second

// connectWithin connects, trying again for up to wait while no server
// answers; a server that refuses the worker is final.
func connectWithin(ctx context.Context, log zerolog.Logger, wait time.Duration, urls []string, opts []nats.Option) (*nats.Conn, error) {
	deadline := time.Now().Add(wait)
	for said := false; ; said = true {
		nc, err := connect(urls, opts)
		if err == nil || !errors.Is(err, nats.ErrNoServers) || time.Now().After(deadline) {
			return nc, err
		}
		if !said {
			log.Info().Msgf("waiting up to %v for a server: %v", wait, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(joinWait):
		}
	}
}

// session is a worker's membership of a run. Its Write, worker.Serve's
// output, joins with the first frame, the Hello, and publishes the rest.
type session struct {
	ctx    context.Context
	nc     *nats.Conn
	js     jetstream.JetStream
	objs   *Objects
	log    zerolog.Logger
	pr, pw *os.File // worker.Serve's input, its two ends
	launch string

	run      run
	member   string
	liveness time.Duration
	out      *sender
	in       *receiver
	pull     *pull         // the shared queue's side
	wmu      sync.Mutex    // orders Write, and goRaw
	outF     framer        // cuts Write's bytes into frames for pull.route
	raw      bool          // the output goes to the own channel as it is (goRaw)
	stall    *time.Timer   // of watchStall
	flushT   *time.Timer   // of flushDue
	feedMu   sync.Mutex    // orders the frames written to pw by feed and pull
	drain    chan struct{} // closed when the worker's own input has ended
	subs     []*nats.Subscription
	beat     chan struct{} // a beat of the coordinator
	done     chan struct{} // closed by close
	wg       sync.WaitGroup
	joined   bool
}

func (s *session) Write(p []byte) (int, error) {
	if !s.joined {
		if err := s.join(p); err != nil {
			return 0, err
		}
		s.joined = true
		return len(p), nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var err error
	switch {
	case s.raw:
		err = s.out.send(context.Background(), p, false, 0)
	default:
		err = s.outF.add(p, s.pull.route)
		if err == nil {
			err = s.flushDue()
		}
		if errors.Is(err, wire.ErrFrameTooLarge) {
			err = s.goRaw()
		} else if err == nil && len(s.outF.partial) > 0 {
			s.watchStall()
		}
	}
	if err != nil {
		return 0, fmt.Errorf("nats: publishing results: %w", err)
	}
	return len(p), nil
}

// flushDue publishes the results pull gathered if they are due, or has
// them published once they are. s.wmu is held.
func (s *session) flushDue() error {
	if s.pull.due() {
		return s.pull.flush()
	}
	if s.pull != nil && len(s.pull.batch) > 0 && s.flushT == nil {
		s.flushT = time.AfterFunc(batchWait, func() {
			s.wmu.Lock()
			defer s.wmu.Unlock()
			s.flushT = nil
			s.pull.flush()
		})
	}
	return nil
}

// stallAfter is how long the worker's output may stay inside a frame
// before what it has of it goes to the coordinator as it is.
const stallAfter = time.Second

// goRaw sends what the session holds of a frame, and all the worker writes
// from now on, to its own channel as they are, for the coordinator to
// judge: output that is no sequence of frames (one too large, one begun
// and never finished) is a broken worker's, which the coordinator ends.
// s.wmu is held.
func (s *session) goRaw() error {
	s.raw = true
	held := s.outF.partial
	s.outF.partial = nil
	return s.out.send(context.Background(), held, false, 0)
}

// watchStall has the session go raw if the frame the worker's output is
// in is not finished within stallAfter. s.wmu is held.
func (s *session) watchStall() {
	if s.stall != nil {
		s.stall.Reset(stallAfter)
		return
	}
	s.stall = time.AfterFunc(stallAfter, func() {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		if !s.raw && len(s.outF.partial) > 0 {
			s.goRaw()
		}
	})
}

// joinWait is how long a worker waits before it asks to join again.
const joinWait = 500 * time.Millisecond

// join asks to join a run with hello, a Hello's frame, until a
// coordinator takes it or refuses it, then feeds worker.Serve the Welcome
// and the frames of the run.
func (s *session) join(hello []byte) error {
	req := nats.NewMsg(joinSubject)
	req.Data = hello[min(len(hello), wire.HeaderSize):]
	if s.launch != "" {
		req.Header.Set(hdrLaunch, s.launch)
	}
	said := false
	for {
		ctx, cancel := context.WithTimeout(s.ctx, callTimeout)
		reply, err := s.nc.RequestMsgWithContext(ctx, req)
		cancel()
		switch {
		case s.ctx.Err() != nil:
			return s.ctx.Err()
		case err == nil && reply.Header.Get(hdrRefused) != "":
			return fmt.Errorf("nats: the coordinator refused this worker: %s", reply.Header.Get(hdrRefused))
		case err == nil && reply.Header.Get(hdrMember) != "":
			return s.start(reply)
		case !said:
			said = true
			why := "no coordinator answers"
			if err == nil {
				why = reply.Header.Get(hdrWait)
			}
			s.log.Info().Str("servers", s.nc.ConnectedUrlRedacted()).Msgf("waiting to join a run: %s", why)
		}
		select {
		case <-s.ctx.Done():
			return s.ctx.Err()
		case <-time.After(joinWait):
		}
	}
}

// start takes up the membership reply grants.
func (s *session) start(reply *nats.Msg) error {
	s.run, s.member = run{id: reply.Header.Get(hdrRun)}, reply.Header.Get(hdrMember)
	s.liveness, _ = time.ParseDuration(reply.Header.Get(hdrLiveness))
	if s.liveness <= 0 {
		s.liveness = 5 * time.Second
	}
	s.out = newSender(s.js, s.run.subject(fromWorker, s.member), maxPayload(s.nc), time.Minute)
	ctx, cancel := context.WithTimeout(s.ctx, 2*callTimeout)
	cons, err := s.js.Consumer(ctx, s.run.stream(toWorker), s.member)
	cancel()
	if err != nil {
		return fmt.Errorf("nats: the consumer of this worker's tasks: %w", err)
	}
	kv, err := openBucket(s.js, s.run)
	if err != nil {
		return err
	}
	if err := s.objs.bind(kv, s.member); err != nil {
		return err
	}
	if _, err := s.pw.Write(reply.Data); err != nil { // the Welcome
		return err
	}
	if s.pull, err = newPull(s); err != nil {
		return err
	}
	if s.in, err = receive(cons); err != nil {
		return fmt.Errorf("nats: consuming tasks: %w", err)
	}
	s.beat = make(chan struct{}, 1)
	for subject, handle := range map[string]nats.MsgHandler{
		s.run.alive(coordinatorMember): func(*nats.Msg) {
			select {
			case s.beat <- struct{}{}:
			default:
			}
		},
		s.run.control(s.member): s.obey,
	} {
		sub, err := s.nc.Subscribe(subject, handle)
		if err != nil {
			return fmt.Errorf("nats: %w", err)
		}
		s.subs = append(s.subs, sub)
	}
	s.wg.Go(s.feed)
	s.wg.Go(s.beatLoop)
	go s.watchCoordinator() // ends with done, or exits the process
	return nil
}

// feed copies the frames of the worker's own channel into worker.Serve's
// input, beside those the worker takes from the shared queue (pull), and
// closes it once the first have ended and the queue has nothing left for
// it.
func (s *session) feed() {
	s.drain = make(chan struct{})
	pulled := make(chan struct{})
	go func() {
		defer close(pulled)
		s.pull.run(s.done, s.drain)
	}()
	r := wire.NewReader(s.in, 64<<10, 0)
	for {
		body, err := r.Next()
		if err != nil {
			break
		}
		if s.feedFrame(frameOf(body)) != nil {
			break
		}
	}
	close(s.drain)
	<-pulled
	s.pw.Close()
}

// feedFrame writes a whole frame to worker.Serve's input.
func (s *session) feedFrame(frame []byte) error {
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	_, err := s.pw.Write(frame)
	return err
}

// beatLoop beats on the worker's subject until close, each beat naming
// the messages of the shared queue it holds (pull.announce).
func (s *session) beatLoop() {
	tick := time.NewTicker(beatEvery(s.liveness))
	defer tick.Stop()
	for {
		s.pull.announce()
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
	}
}

// watchCoordinator exits the process when the coordinator has not beaten
// for the run's liveness: it died, or the server is gone for good, and a
// task running would hold the worker forever.
func (s *session) watchCoordinator() {
	timer := time.NewTimer(s.liveness)
	defer timer.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-s.beat:
			timer.Reset(s.liveness)
		case <-timer.C:
			s.log.Error().Msgf("the coordinator is gone (no beat for %v): exiting", s.liveness)
			os.Exit(wire.ExitFailure)
		}
	}
}

// obey acts on what the coordinator says on the worker's control subject:
// the signal the pool sends a local worker.
func (s *session) obey(m *nats.Msg) {
	switch string(m.Data) {
	case syscall.SIGTERM.String():
		syscall.Kill(os.Getpid(), syscall.SIGTERM) // cancels the running tasks (worker.Main)
	case syscall.SIGKILL.String():
		s.log.Error().Msg("killed by the coordinator")
		os.Exit(wire.ExitFailure)
	}
}

// finish publishes the worker's last frame, with the status worker.Main
// will exit with for err.
func (s *session) finish(err error) {
	if s.out == nil {
		return
	}
	status := wire.ExitOK
	var verr *wire.VersionError
	switch {
	case errors.As(err, &verr):
		status = wire.ExitMismatch
	case err != nil:
		status = wire.ExitFailure
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.wmu.Lock()
	ferr := s.pull.flush()
	s.wmu.Unlock()
	if ferr == nil {
		ferr = s.pull.wait(ctx)
	}
	if ferr != nil {
		s.log.Warn().Err(ferr).Msg("nats: publishing the results of the shared queue")
	}
	if err := s.out.send(ctx, nil, true, status); err != nil {
		s.log.Warn().Err(err).Msg("nats: publishing the last frame")
	}
}

// close stops the session's goroutines and closes worker.Serve's input.
func (s *session) close() {
	close(s.done)
	for _, sub := range s.subs {
		sub.Unsubscribe()
	}
	s.pr.Close() // a feed blocked on a full pipe fails
	if s.out != nil {
		s.out.close()
	}
	if s.pull != nil {
		s.pull.close()
	}
	if s.in != nil {
		s.in.finish()
	}
	s.wg.Wait()
	if s.in == nil {
		s.pw.Close()
	}
}
