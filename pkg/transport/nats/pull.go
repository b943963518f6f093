package nats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brinehq/brine/pkg/wire"
)

// pull is a worker's side of the shared queue (queue.go): it takes a
// message of frames of tasks when fewer than maxHeld of those it took have
// tasks still to run, feeds it to worker.Serve, publishes the results of
// its tasks on the queue's subject, and acks it once the stream has stored
// them all; until then it tells JetStream, a third of AckWait apart, that
// the message is in progress.
type pull struct {
	s       *session
	cons    jetstream.Consumer
	ackWait time.Duration
	res     *sender // results, on the queue's subject

	mu    sync.Mutex
	beats uint64        // made by announce
	held  []*heldMsg    // taken and not yet acked, oldest first
	room  chan struct{} // signalled when a frame is acked

	// route's own: its scratch, and results of the tasks of one message
	// gathered for one message of their own (flush).
	rs         []wire.Result
	owned      []*heldMsg // owners'
	unwritten  []int      // owners'
	scratch    decoded    // take's own
	batch      []byte
	batchAt    time.Time // when its first results came
	batchFor   *heldMsg
	batchFirst uint64 // the task of its first result
	batchN     int
}

// maxHeld is how many messages a worker runs the tasks of at once: one
// it runs, one waiting behind it, so that it never waits for the next
// while it fetches another. A message of short tasks is a worker's window
// (pkg/pool).
const maxHeld = 2

// heldMsg is a message of frames of tasks a worker took.
type heldMsg struct {
	m         jetstream.Msg
	spans     []wire.Span
	running   int // tasks whose results worker.Serve has not written yet
	left      int // tasks whose results are not stored yet
	delivered int
	seq       uint64 // its place in the stream, 0 if unknown
}

func (h *heldMsg) has(id uint64) bool { return spansHave(h.spans, id) }

// newPull binds the run's shared consumer.
func newPull(s *session) (*pull, error) {
	ctx, cancel := context.WithTimeout(s.ctx, 2*callTimeout)
	defer cancel()
	cons, err := s.js.Consumer(ctx, s.run.stream(toWorker), queueMember)
	if err != nil {
		return nil, fmt.Errorf("nats: the consumer of the shared queue: %w", err)
	}
	p := &pull{s: s, cons: cons, ackWait: cons.CachedInfo().Config.AckWait, room: make(chan struct{}, 1)}
	if p.ackWait <= 0 {
		p.ackWait = 30 * time.Second
	}
	p.res = newSender(s.js, s.run.subject(fromWorker, queueMember), maxPayload(s.nc), time.Minute)
	p.res.name += "." + s.member
	return p, nil
}

// run takes frames until stop is closed, or, once drain is closed (the
// worker's own input ended), until the queue has nothing left that this
// worker could take.
func (p *pull) run(stop, drain <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
		case <-drain:
		}
		cancel() // a pull waiting for a frame ends
	}()
	var beating sync.WaitGroup
	defer beating.Wait()
	beatCtx, stopBeat := context.WithCancel(context.Background()) // on while it holds messages, drain or not
	defer stopBeat()
	beating.Go(func() { p.beat(beatCtx) })
	for {
		select {
		case <-stop:
			return
		default:
		}
		if p.busy() >= maxHeld {
			select {
			case <-stop:
				return
			case <-p.room:
			}
			continue
		}
		var batch jetstream.MessageBatch
		var err error
		select {
		case <-drain:
			if p.holding() == 0 && p.empty() {
				return
			}
			batch, err = p.cons.FetchNoWait(1)
			if err != nil || p.take(batch) == 0 {
				time.Sleep(20 * time.Millisecond) // nothing to take yet, or a server failing over
			}
			continue
		default:
		}
		fctx, fcancel := context.WithTimeout(ctx, pullExpiry)
		batch, err = p.cons.Fetch(1, jetstream.FetchContext(fctx))
		if err == nil {
			p.take(batch)
		}
		fcancel()
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			select {
			case <-stop:
				return
			case <-time.After(retryPause): // the server is failing over
			}
		}
	}
}

// empty reports whether the queue holds no frame that a worker has not
// acked.
func (p *pull) empty() bool {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	info, err := p.cons.Info(ctx)
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}

// take feeds the frames of batch to worker.Serve, and returns how many.
// A frame of several tasks that comes again (a worker died holding it) is
// split instead: each of its tasks goes back to the queue alone, so that
// the one that kills workers is told apart from those beside it, which
// then succeed, as the pool does with the tasks of a worker that died.
func (p *pull) take(batch jetstream.MessageBatch) int {
	n := 0
	for m := range batch.Messages() {
		n++
		spans, err := messageSpans(m.Data(), nil, &p.scratch)
		if err != nil {
			p.s.log.Error().Err(err).Msg("nats: a message of the shared queue that is no frames of tasks: dropped")
			m.Term()
			continue
		}
		h := &heldMsg{m: m, spans: spans, left: spansLen(spans), delivered: 1}
		h.running = h.left
		before, _ := strconv.Atoi(m.Headers().Get(hdrBefore))
		if md, err := m.Metadata(); err == nil {
			h.delivered, h.seq = int(md.NumDelivered)+max(before, 0), md.Sequence.Stream
			if md.NumDelivered > 1 && h.left > 1 {
				p.split(m, h.delivered-1, md.Sequence.Stream)
				continue
			}
		}
		p.mu.Lock()
		p.held = append(p.held, h)
		p.mu.Unlock()
		p.announce()
		if err := p.s.feedFrame(m.Data()); err != nil {
			return n // worker.Serve's input is closed: the frame comes again to another
		}
	}
	return n
}

// split puts each task of m, delivered times already, back on the queue
// alone, and acks m once they are stored. Their message ids come from m's
// place in the stream, so that a second worker that splits m, the first
// having died before it acked, adds nothing.
func (p *pull) split(m jetstream.Msg, delivered int, seq uint64) {
	tasks, err := singles(m.Data())
	if err != nil {
		p.s.log.Error().Err(err).Msg("nats: a frame of the shared queue that cannot be split: dropped")
		m.Term()
		return
	}
	out := newSender(p.s.js, p.s.run.subject(toWorker, queueMember), maxPayload(p.s.nc), time.Minute)
	out.name += ".split." + strconv.FormatUint(seq, 10)
	defer out.close()
	hdr := nats.Header{}
	hdr.Set(hdrBefore, strconv.Itoa(delivered))
	hdr.Set(hdrQueue, m.Headers().Get(hdrQueue))
	ctx, cancel := context.WithTimeout(p.s.ctx, time.Minute)
	defer cancel()
	for _, t := range tasks {
		if err := out.sendMsg(ctx, t.frame, hdr, nil); err != nil {
			return // it comes again
		}
	}
	if err := out.wait(ctx); err == nil {
		m.DoubleAck(ctx)
	}
}

// announce beats on the worker's subject with the ack subjects of the
// messages it holds, a line each, so that the coordinator, learning that
// the worker died, has JetStream deliver them again at once rather than
// after AckWait (queue.release). It beats as the messages held change,
// besides its beats.
//
// It does not wait for the server to have the beat: that would hold up
// every message by a round trip (bench/RESULTS.md, "Design measurements":
// Naming the messages held), and a task that ends its worker's process at
// once may take the beat with it, leaving its message to AckWait.
//
// A beat starts with its number, so that of beats sent from several
// goroutines the coordinator keeps the word of the last made.
func (p *pull) announce() {
	p.mu.Lock()
	p.beats++
	b := strconv.AppendUint(nil, p.beats, 10)
	for _, h := range p.held {
		b = append(append(b, '\n'), h.m.Reply()...)
	}
	p.mu.Unlock()
	p.s.nc.Publish(p.s.run.alive(p.s.member), b)
}

// owners returns, for each result of rs, the message held whose task it
// answers, or nil: the oldest that has the task and results not yet
// written, counting those of rs before it. A task may be in two messages
// held at once: a worker's result the coordinator refused has it publish
// the task again, alone, while the message it was in comes again too; the
// worker runs them in the order it took them, so the older message's
// result comes first. The slice is route's scratch. p.mu is held.
func (p *pull) owners(rs []wire.Result) []*heldMsg {
	p.owned = p.owned[:0]
	p.unwritten = p.unwritten[:0]
	for _, h := range p.held {
		p.unwritten = append(p.unwritten, h.running)
	}
	for i := range rs {
		var o *heldMsg
		for j, h := range p.held {
			if !h.has(rs[i].ID) {
				continue
			}
			if p.unwritten[j] > 0 {
				o = h
				p.unwritten[j]--
				break
			}
			if o == nil {
				o = h // all its results written: a second result of the task
			}
		}
		p.owned = append(p.owned, o)
	}
	return p.owned
}

// busy returns how many messages held have tasks still to run.
func (p *pull) busy() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, h := range p.held {
		if h.running > 0 {
			n++
		}
	}
	return n
}

// wrote counts n results of the tasks of h written by worker.Serve.
func (p *pull) wrote(h *heldMsg, n int) {
	p.mu.Lock()
	h.running -= n
	free := h.running <= 0
	p.mu.Unlock()
	if free {
		select {
		case p.room <- struct{}{}:
		default:
		}
	}
}

func (p *pull) holding() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.held)
}

// beat tells JetStream, a third of AckWait apart until ctx ends, that the
// messages held are being worked on, so that it does not deliver them
// again to another worker.
func (p *pull) beat(ctx context.Context) {
	tick := time.NewTicker(max(p.ackWait/3, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			p.inProgress()
		case <-ctx.Done():
			return
		}
	}
}

// inProgress tells JetStream that the messages held are being worked on.
func (p *pull) inProgress() {
	p.mu.Lock()
	held := append([]*heldMsg(nil), p.held...)
	p.mu.Unlock()
	for _, h := range held {
		h.m.InProgress()
	}
}

// route publishes frame, a frame worker.Serve wrote, to where it goes:
// results of tasks of the queue to the queue's subject, a frame for each
// frame of tasks they answer, and the rest to the worker's own channel,
// where the coordinator judges what is not a frame of results.
func (p *pull) route(frame []byte) error {
	p.mu.Lock()
	holding := len(p.held) > 0
	p.mu.Unlock()
	body := frame[wire.HeaderSize:]
	if typ, err := wire.PeekType(body); !holding || err != nil || typ != wire.TypeResults {
		return p.s.out.send(context.Background(), frame, false, 0)
	}
	rs, err := wire.DecodeResults(body, p.rs[:0])
	p.rs = rs
	if err != nil || len(rs) == 0 {
		return p.s.out.send(context.Background(), frame, false, 0)
	}
	// The message of tasks each result answers, nil for none held: as a
	// rule, one for all of them.
	p.mu.Lock()
	owners := p.owners(rs)
	p.mu.Unlock()
	one := true
	for _, h := range owners[1:] {
		one = one && h == owners[0]
	}
	if one {
		return p.publish(owners[0], frame, rs[0].ID, len(rs))
	}
	done := map[*heldMsg]bool{}
	for _, h := range owners {
		if done[h] {
			continue
		}
		done[h] = true
		var part []wire.Result
		for i := range rs {
			if owners[i] == h {
				part = append(part, rs[i])
			}
		}
		out, err := wire.AppendResults(nil, part)
		if err != nil {
			return err
		}
		if err := p.publish(h, out, part[0].ID, len(part)); err != nil {
			return err
		}
	}
	return nil
}

// publish publishes frame, n results of the tasks of h from task first's
// on, on the queue's subject, or on the worker's own channel when h is nil
// or the frame is larger than a message (the coordinator hands those to
// the queue); h is acked once the stream has stored the results of all
// its tasks.
//
// Results of the tasks of one message that come together go together:
// they wait in batch until flush, which Write calls once it has routed
// what worker.Serve wrote.
func (p *pull) publish(h *heldMsg, frame []byte, first uint64, n int) error {
	if h == nil {
		return p.s.out.send(context.Background(), frame, false, 0)
	}
	p.wrote(h, n)
	if len(frame) > p.res.max {
		return p.s.out.sendThen(context.Background(), frame, false, 0, func() { p.stored(h, n) })
	}
	if p.batchFor != h || len(p.batch)+len(frame) > p.res.max {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if len(p.batch) == 0 {
		p.batchAt, p.batchFirst = time.Now(), first
	}
	p.batch = append(p.batch, frame...)
	p.batchFor = h
	p.batchN += n
	return nil
}

// batchWait is how long results may wait in batch for the rest of their
// message's.
const batchWait = time.Millisecond

// due reports whether the batch is to be published now: its message's
// tasks have all run, or its first results have waited batchWait.
func (p *pull) due() bool {
	if len(p.batch) == 0 {
		return false
	}
	p.mu.Lock()
	done := p.batchFor.running <= 0
	p.mu.Unlock()
	return done || time.Since(p.batchAt) >= batchWait
}

// flush publishes the results gathered in batch, with a message id that
// names their tasks (resultsID).
func (p *pull) flush() error {
	if p == nil || len(p.batch) == 0 {
		return nil
	}
	h, n := p.batchFor, p.batchN
	hdr := nats.Header{}
	if h.seq > 0 {
		hdr.Set(jetstream.MsgIDHeader, resultsID(h.seq, p.batchFirst, n))
	}
	hdr.Set(hdrMember, p.s.member)
	hdr.Set(hdrQueue, h.m.Headers().Get(hdrQueue))
	hdr.Set(hdrDelivered, strconv.Itoa(h.delivered))
	err := p.res.sendMsg(context.Background(), p.batch, hdr, func() { p.stored(h, n) })
	p.batch, p.batchFor, p.batchN = p.batch[:0], nil, 0
	return err
}

// resultsID is the message id of n results of the message of tasks at seq
// in the stream, from task first's on. A worker writes a message's results
// in the message's order, so seq, first and n name the tasks they answer:
// when a message comes again (its worker died between storing results and
// acking it), results published again under the same id, as those of a
// message of one task always are, are kept once by the stream, and the
// coordinator drops the others (queue.take). A task the coordinator
// publishes again is a message of its own, and its result is stored.
func resultsID(seq, first uint64, n int) string {
	b := make([]byte, 0, 48)
	b = strconv.AppendUint(append(b, "results."...), seq, 10)
	b = strconv.AppendUint(append(b, '.'), first, 10)
	b = strconv.AppendInt(append(b, '+'), int64(n), 10)
	return string(b)
}

// stored counts n results of h stored, and acks h once all are.
func (p *pull) stored(h *heldMsg, n int) {
	p.mu.Lock()
	h.left -= n
	done := h.left <= 0
	if done {
		for i, x := range p.held {
			if x == h {
				p.held = append(p.held[:i], p.held[i+1:]...)
				break
			}
		}
	}
	p.mu.Unlock()
	if !done {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	h.m.DoubleAck(ctx) // else it comes again, and its second results are dropped
	cancel()
	p.announce()
}

// wait waits until the results published are stored and their messages
// acked.
func (p *pull) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	return p.res.wait(ctx)
}

func (p *pull) close() { p.res.close() }
