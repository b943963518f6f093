package nats

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// natsWorker is the coordinator's side of one worker: the channels of
// frames to and from it, its beats, and its process when it runs here.
type natsWorker struct {
	framesOnly
	t      *Transport
	id     int
	member string
	hello  wire.Hello
	proc   *process // nil for a worker from elsewhere
	log    zerolog.Logger

	in    *sender
	out   *receiver
	cons  jetstream.Consumer // of out
	r     *wire.Reader
	beats *nats.Subscription
	beat  atomic.Int64 // when it last beat, in unix nanoseconds

	wmu    sync.Mutex // orders Sends, and CloseInput
	closed bool

	mu       sync.Mutex
	holds    []string // the ack subjects of the messages of the shared queue it holds, as it last said
	heard    uint64   // the number of that beat
	reason   string   // why brine killed or terminated it, first given
	lost     string   // why it is taken for gone, for a worker from elsewhere
	endOnce  sync.Once
	ended    chan struct{}
	stop     chan struct{} // closed by release: watch returns
	watching sync.WaitGroup

	waitOnce sync.Once
	exit     *transport.ExitError
}

var _ transport.Worker = (*natsWorker)(nil)

// open makes the worker's consumers and starts reading its frames.
func (w *natsWorker) open() error {
	t := w.t
	w.stop = make(chan struct{})
	if _, err := t.consumer(t.in, toWorker, w.member); err != nil {
		return fmt.Errorf("creating the consumer of its tasks: %w", err)
	}
	cons, err := t.consumer(t.out, fromWorker, w.member)
	if err != nil {
		return fmt.Errorf("creating the consumer of its results: %w", err)
	}
	w.cons = cons
	if w.out, err = receive(cons); err != nil {
		return fmt.Errorf("consuming its results: %w", err)
	}
	w.r = wire.NewReader(w.out, 64<<10, 0)
	w.in = newSender(t.js, t.run.subject(toWorker, w.member), maxPayload(t.nc), t.cfg.RetryFor)
	w.beat.Store(time.Now().UnixNano())
	w.beats, err = t.nc.Subscribe(t.run.alive(w.member), func(m *nats.Msg) {
		w.beat.Store(time.Now().UnixNano())
		fields := strings.Fields(string(m.Data)) // its number, then what it holds (pull.announce)
		if len(fields) == 0 {
			return
		}
		n, _ := strconv.ParseUint(fields[0], 10, 64)
		w.mu.Lock()
		if n > w.heard {
			w.heard, w.holds = n, fields[1:]
		}
		w.mu.Unlock()
	})
	return err
}

// maxPayload is how much a message may carry on nc, less room for its
// headers.
func maxPayload(nc *nats.Conn) int { return max(int(nc.MaxPayload())-4<<10, 4<<10) }

// watch ends the worker when its process exits, or, for one from
// elsewhere, when it sends its last frame or stops beating; then, once
// what it sent before has been read, it ends its output.
func (w *natsWorker) watch() {
	w.watching.Go(func() {
		tick := time.NewTicker(beatEvery(w.t.cfg.Liveness))
		defer tick.Stop()
		var exited <-chan struct{}
		if w.proc != nil {
			exited = w.proc.ended
		}
		for !w.isEnded() {
			select {
			case <-w.stop:
				return
			case <-exited:
				w.end("")
				w.t.tidying.Go(w.giveBack)
			case <-tick.C:
				if w.proc != nil {
					continue
				}
				if last, _ := w.out.last(); last {
					w.end("")
				} else if silent := time.Since(time.Unix(0, w.beat.Load())); silent > w.t.cfg.Liveness {
					w.end(fmt.Sprintf("no beat for %v: it died, or lost its server", silent.Round(time.Millisecond)))
				}
			}
		}
		w.drain()
		w.out.finish()
	})
}

// drain waits until the server holds nothing more that the worker sent,
// for a second at most: a worker publishes nothing before the stream has
// stored it, so what it sent before it ended is there.
func (w *natsWorker) drain() {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if last, _ := w.out.last(); last {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		info, err := w.cons.Info(ctx)
		cancel()
		if err == nil && info.NumPending == 0 && info.NumAckPending == 0 && !w.out.holding() {
			return
		}
		select {
		case <-w.stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (w *natsWorker) end(lost string) {
	w.endOnce.Do(func() {
		w.mu.Lock()
		w.lost = lost
		w.mu.Unlock()
		close(w.ended)
	})
}

func (w *natsWorker) isEnded() bool {
	select {
	case <-w.ended:
		return true
	default:
		return false
	}
}

func (w *natsWorker) Hello() wire.Hello { return w.hello }

// PID returns the pid of a worker process on this machine, 0 for one from
// elsewhere.
func (w *natsWorker) PID() int {
	if w.proc == nil {
		return 0
	}
	return w.proc.group.PID()
}

// Send publishes frames to the worker's subject, retrying while the
// stream has no leader, up to Config.RetryFor; then the worker is killed.
func (w *natsWorker) Send(frames []byte) error {
	w.wmu.Lock()
	if w.closed {
		w.wmu.Unlock()
		return fmt.Errorf("nats: worker %d: %w", w.id, transport.ErrClosed)
	}
	err := w.in.send(context.Background(), frames, false, 0)
	w.wmu.Unlock()
	if err != nil {
		w.Kill(fmt.Sprintf("its tasks could not be published: %v", err))
		return fmt.Errorf("nats: worker %d: %w", w.id, err)
	}
	return nil
}

// Next returns the next frame the worker sent. While the run's shared
// queue is open, the worker's results on its own channel (those too large
// for one message) are the queue's, and go there.
func (w *natsWorker) Next(buf []byte) ([]byte, error) {
	for {
		body, err := w.r.NextInto(buf)
		if err != nil {
			return body, err
		}
		q := w.t.openQueue()
		if q == nil {
			return body, nil
		}
		if typ, err := wire.PeekType(body); err != nil || typ != wire.TypeResults {
			return body, nil // for the pool to judge
		}
		q.push(qframe{data: frameOf(body), member: w.member})
	}
}

func (w *natsWorker) Buffered() bool { return w.r.Ready() || w.out.ready() }

// framesOnly is what a transport.Worker of this package, a worker or the
// shared queue, says of what it does not have: Next waits on a channel,
// never in read(2), so Blocks never holds and Poll does nothing; every
// payload goes in frames, as there are no lanes; FlushOutput does not
// wait, as a local worker's lines reach the log as they are read and a
// remote worker's stay on its machine.
type framesOnly struct{}

func (framesOnly) Blocks() bool                        { return false }
func (framesOnly) Poll(time.Duration)                  {}
func (framesOnly) Lanes() (*lane.Writer, *lane.Reader) { return nil, nil }
func (framesOnly) FlushOutput()                        {}

// CloseInput publishes the end of the worker's input: it finishes its
// tasks, sends its last frame and exits.
func (w *natsWorker) CloseInput() {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	if err := w.in.send(context.Background(), nil, true, 0); err != nil {
		w.log.Warn().Int("worker", w.id).Err(err).Msg("nats: publishing the end of a worker's input")
	}
}

func (w *natsWorker) Terminate(reason string) { w.signal(syscall.SIGTERM, reason) }

func (w *natsWorker) Kill(reason string) { w.signal(syscall.SIGKILL, reason) }

// signal sends sig to a local worker's process group; a worker from
// elsewhere is told to send it to itself, and, for SIGKILL, is taken for
// ended at once: a lost message must not keep the pool waiting.
func (w *natsWorker) signal(sig syscall.Signal, reason string) {
	if w.proc != nil {
		w.proc.group.Signal(sig, reason)
		return
	}
	if w.isEnded() {
		return
	}
	w.mu.Lock()
	if w.reason == "" {
		w.reason = reason
	}
	w.mu.Unlock()
	w.t.nc.Publish(w.t.run.control(w.member), []byte(sig.String()))
	if sig == syscall.SIGKILL {
		w.end("")
	}
}

func (w *natsWorker) Ended() <-chan struct{} { return w.ended }

// lingerMax is how long a worker may live on after its output ended
// before it is killed.
const lingerMax = 200 * time.Millisecond

// Wait waits for the worker to end, killing it if it lingers, releases its
// consumers, and reports how it ended.
func (w *natsWorker) Wait() *transport.ExitError {
	w.waitOnce.Do(func() {
		select {
		case <-w.ended:
		case <-time.After(lingerMax):
			w.Kill("it closed its output but did not exit")
		}
		<-w.ended
		if w.proc != nil {
			<-w.proc.ended
			w.proc.closeOutput()
			w.exit = w.proc.exitError(w.id)
		} else {
			w.exit = w.remoteExit()
		}
		if w.t.nc.IsConnected() { // else the server is gone, or failing over: nothing to tidy now
			w.t.objects.partyGone(w.member, w.hello.PID, w.exit.Status)
		}
		w.release()
		w.t.left(w)
	})
	return w.exit
}

// remoteExit describes how a worker from elsewhere ended.
func (w *natsWorker) remoteExit() *transport.ExitError {
	e := &transport.ExitError{Worker: w.id, Code: -1, Status: "gone"}
	if last, status := w.out.last(); last {
		e.Code, e.Status = status, fmt.Sprintf("exit status %d", status)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.reason != "":
		e.Reason = "killed by brine: " + w.reason
	case w.lost != "":
		e.Reason = w.lost
	}
	return e
}

// release stops reading, and deletes the worker's consumers and what is
// left on its subjects.
func (w *natsWorker) release() {
	if w.stop != nil {
		close(w.stop)
		w.watching.Wait()
	}
	if w.out != nil {
		w.out.finish()
	}
	if w.in != nil {
		w.in.close()
	}
	if w.beats != nil {
		w.beats.Unsubscribe()
	}
	t := w.t
	if !t.nc.IsConnected() {
		return // what is left expires (Transport.consumer's InactiveThreshold)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	for _, s := range []struct {
		s jetstream.Stream
		d direction
	}{{t.in, toWorker}, {t.out, fromWorker}} {
		s.s.DeleteConsumer(ctx, w.member)
		s.s.Purge(ctx, jetstream.WithPurgeSubject(t.run.subject(s.d, w.member)))
	}
}

// giveBack has JetStream deliver again at once the messages of the shared
// queue the worker, whose process just exited, said last that it held: a
// negative ack on the subject of the worker's own ack. One it acked
// meanwhile stays acked. It is for a process of this machine, whose end
// is seen at once, well within AckWait of its last word that it was
// working on them: a negative ack that came after JetStream had delivered
// a message again, to another worker, would have it delivered once more.
// A worker from elsewhere is taken for gone once it has been silent for
// the run's liveness, which is AckWait: its messages come again then.
//
// It waits giveBackPause first, for the server to have seen the worker's
// connection close: until then the worker's last pull may still be
// waiting there, and a message given back would go to it, and be lost
// until AckWait. A transport that closes meanwhile gives back nothing:
// its streams go with it.
func (w *natsWorker) giveBack() {
	pause := time.NewTimer(giveBackPause)
	defer pause.Stop()
	select {
	case <-pause.C:
	case <-w.t.beat: // closed by Close
		return
	}
	w.mu.Lock()
	holds := w.holds
	w.mu.Unlock()
	if len(holds) == 0 || !w.t.nc.IsConnected() {
		return
	}
	for _, reply := range holds {
		if strings.HasPrefix(reply, "$JS.ACK.") { // what a worker says is only its word
			w.t.nc.Publish(reply, []byte("-NAK"))
		}
	}
}

// giveBackPause is how long giveBack waits for the server to see a dead
// worker's connection close.
const giveBackPause = 200 * time.Millisecond

// Close does nothing: Wait released what the worker held.
func (w *natsWorker) Close() {}
