package nats

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brinehq/brine/pkg/transport"
)

// Transport reaches the workers of one pool through NATS JetStream. It is
// safe for concurrent use.
type Transport struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
	run run
	in  jetstream.Stream // frames to the workers
	out jetstream.Stream // frames from them

	objects *Objects // the coordinator's handle on the run's conds and barriers
	joins   *nats.Subscription
	members atomic.Uint64
	beat    chan struct{} // closed by Close: the coordinator's beat stops
	beating sync.WaitGroup
	tidying sync.WaitGroup // work its callbacks hand on: giveBack, the queue's gaveUp and placePrivate

	queues atomic.Uint64 // shared queues opened

	mu      sync.Mutex
	closed  bool
	waiting []*pending // Starts waiting for their worker to join
	ms      members
}

var errClosed = errors.New("nats: transport closed")

// New connects to cfg.URLs, makes the run's streams and listens for the
// workers that join. On failure it closes cfg.Server.
func New(cfg Config) (*Transport, error) {
	if err := cfg.fill(); err != nil {
		if cfg.Server != nil {
			cfg.Server.Close()
		}
		return nil, err
	}
	t := &Transport{cfg: cfg, run: newRun(), beat: make(chan struct{})}
	if err := t.open(); err != nil {
		t.release()
		return nil, err
	}
	t.beating.Go(t.beatLoop)
	return t, nil
}

// open connects, makes the run's streams and bucket, and listens for
// joins.
func (t *Transport) open() error {
	host, _ := os.Hostname()
	var err error
	opts := clientOptions(fmt.Sprintf("brine coordinator %s:%d", host, os.Getpid()),
		t.cfg.Token, t.cfg.TLSCert, t.cfg.TLSKey, t.cfg.TLSCA)
	if in, ok := t.cfg.Server.(nats.InProcessConnProvider); ok {
		// The server is in this process: the coordinator's connection,
		// which carries every frame of the run, skips the loopback's
		// sockets (bench/RESULTS.md, "Design measurements": The
		// coordinator's connection to its embedded server).
		opts = append(opts, nats.InProcessServer(in))
	}
	t.nc, err = connect(t.cfg.URLs, opts)
	if err != nil {
		return err
	}
	if t.js, err = jetstream.New(t.nc, jetstream.WithPublishAsyncTimeout(callTimeout)); err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	if t.in, err = t.stream(toWorker); err != nil {
		return err
	}
	if t.out, err = t.stream(fromWorker); err != nil {
		return err
	}
	if err = t.bucket(); err != nil {
		return err
	}
	// Made now, for the workers to bind as they start; Queue sets how
	// often it delivers a frame.
	if _, err = t.tasksConsumer(2); err != nil {
		return fmt.Errorf("nats: the consumer of the shared queue: %w", err)
	}
	if t.joins, err = t.nc.QueueSubscribe(joinSubject, "brine", t.join); err != nil {
		return fmt.Errorf("nats: listening for workers: %w", err)
	}
	return nil
}

// stream makes the run's stream of frames going d.
func (t *Transport) stream(d direction) (jetstream.Stream, error) {
	cfg := jetstream.StreamConfig{
		Name:       t.run.stream(d),
		Subjects:   []string{t.run.streamSubjects(d)},
		Retention:  jetstream.WorkQueuePolicy, // a frame read is a frame gone
		Storage:    jetstream.MemoryStorage,
		Replicas:   t.cfg.Replicas,
		Duplicates: 2 * t.cfg.RetryFor, // longer than any publish is retried
		MaxAge:     24 * time.Hour,     // what a coordinator killed outright leaves on a server
	}
	if t.cfg.Replicas > 1 {
		cfg.Storage = jetstream.FileStorage // a server killed loses its memory
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	s, err := t.js.CreateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("nats: creating stream %s: %w (is JetStream enabled on %s?)", cfg.Name, err, strings.Join(t.cfg.URLs, ","))
	}
	return s, nil
}

// bucket makes the run's bucket of conds and barriers and binds the
// coordinator's handle to it.
func (t *Transport) bucket() error {
	cfg := jetstream.KeyValueConfig{Bucket: bucketName(t.run), History: 1, Storage: jetstream.MemoryStorage,
		Replicas: t.cfg.Replicas, TTL: 24 * time.Hour}
	if t.cfg.Replicas > 1 {
		cfg.Storage = jetstream.FileStorage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	kv, err := t.js.CreateKeyValue(ctx, cfg)
	if err != nil {
		return fmt.Errorf("nats: creating the bucket of conds and barriers: %w", err)
	}
	t.objects = newObjects()
	return t.objects.bind(kv, coordinatorMember)
}

// Objects returns the run's conds and barriers, the ones its workers'
// tasks get from cond.FromContext.
func (t *Transport) Objects() *Objects { return t.objects }

// beatLoop beats on the coordinator's subject until Close, so that
// workers know it is there.
func (t *Transport) beatLoop() {
	tick := time.NewTicker(beatEvery(t.cfg.Liveness))
	defer tick.Stop()
	subject := t.run.alive(coordinatorMember)
	for {
		t.nc.Publish(subject, nil)
		select {
		case <-t.beat:
			return
		case <-tick.C:
		}
	}
}

// Start starts a worker process on this machine for a local spec.ID
// (Config.Local), or waits for a worker to join from elsewhere, and
// completes its handshake (docs/PROTOCOL.md §3) in its join. ctx bounds
// the wait; a local worker must also join within spec.HandshakeTimeout.
// On failure nothing Start began is left behind.
func (t *Transport) Start(ctx context.Context, spec transport.Spec) (transport.Worker, error) {
	if err := transport.NotInWorker(); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	if t.cfg.Local == AllLocal || spec.ID < t.cfg.Local {
		return t.startLocal(ctx, spec)
	}
	return t.startRemote(ctx, spec)
}

// Close deletes the run's streams, closes the connection and the
// embedded server, if any. It is idempotent.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	return t.release()
}

func (t *Transport) release() error {
	var errs []error
	if t.joins != nil {
		t.joins.Unsubscribe()
	}
	close(t.beat)
	t.beating.Wait()
	t.tidying.Wait()
	if t.objects != nil {
		t.objects.Close()
	}
	if t.js != nil && t.nc.IsConnected() { // else what is left expires (stream's MaxAge)
		ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
		if err := t.js.DeleteKeyValue(ctx, bucketName(t.run)); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
			errs = append(errs, fmt.Errorf("nats: deleting the bucket of conds and barriers: %w", err))
		}
		for _, d := range []direction{toWorker, fromWorker} {
			if err := t.js.DeleteStream(ctx, t.run.stream(d)); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
				errs = append(errs, fmt.Errorf("nats: deleting stream %s: %w", t.run.stream(d), err))
			}
		}
		cancel()
	}
	if t.nc != nil {
		t.nc.Close()
	}
	if t.cfg.Server != nil {
		errs = append(errs, t.cfg.Server.Close())
	}
	return errors.Join(errs...)
}

func (t *Transport) String() string { return "nats" }

// URLs returns the servers the transport uses, for workers to join.
func (t *Transport) URLs() []string { return t.cfg.URLs }
