package nats

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// The shared queue (transport.Queuer). Its tasks go to one subject of the
// stream of frames to the workers, several frames of tasks a message, read
// by one durable consumer that every worker pulls from (pull.go), a
// message at a time when it has room, with explicit acks: a worker acks a
// message once the stream of frames from the workers has stored the
// results of all its tasks, which it publishes on the queue's subject
// there, with its member name and how many times the message was
// delivered. A message not acked within AckWait (the run's liveness; a
// worker that runs a long task says it is in progress) is delivered again,
// to whichever worker pulls next, and so is at once one the coordinator
// gives back for a local worker whose process exited
// (natsWorker.giveBack), up to QueueSpec.Deliveries times; JetStream then
// gives up on it and says so in an advisory, and the queue fails its
// tasks that have no result. The coordinator drops a second result of a
// task, so a task's result comes once, and counts it.

// Headers of the queue's results.
const (
	hdrDelivered = "Brine-Delivered" // how many times the frame of its tasks was delivered
	hdrBefore    = "Brine-Before"    // on a task split from a frame: how many times that was delivered
	hdrQueue     = "Brine-Queue"     // which queue the tasks are of, and their results for
)

// queueMember names the queue's subjects and consumers.
const queueMember = "queue"

// tasksConsumer makes, or updates, the consumer the workers share, for
// frames to be delivered at most deliveries times.
func (t *Transport) tasksConsumer(deliveries int) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	return t.in.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       queueMember,
		FilterSubject: t.run.subject(toWorker, queueMember),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       t.cfg.AckWait,
		MaxDeliver:    deliveries,
		MaxAckPending: -1,
		// What a dead coordinator leaves on a server it did not own.
		InactiveThreshold: time.Hour,
		Replicas:          t.cfg.Replicas,
	})
}

// queue is the coordinator's side of the shared queue, a transport.Worker.
type queue struct {
	framesOnly
	t     *Transport
	id    int
	hello wire.Hello
	log   zerolog.Logger

	pub     *sender // frames of tasks
	results jetstream.ConsumeContext
	lost    *nats.Subscription // JetStream's advisories of frames delivered their last time

	deliveries int        // QueueSpec.Deliveries
	placing    sync.Mutex // held by placePrivate
	placed     uint64     // private frames sent (private.order)
	// gen tells this queue's tasks, and their results, from those of one
	// opened before it on the same subjects; hdr says it.
	gen string
	hdr nats.Header

	mu        sync.Mutex
	open      idSet       // tasks sent with no result yet
	last      uint64      // the highest task id sent
	cancelled []wire.Span // tasks the workers were told to cancel
	privates  []*private  // frames too large for a message, on a worker's own channel
	sent      []sentFrame // frames published whose tasks lack results, oldest first
	waiting   []qframe    // results come, not yet read by Next
	closed    bool        // CloseInput was called
	killed    string      // why Kill ended it
	dups      int         // results dropped as second ones
	wake      chan struct{}
	ended     chan struct{}
	endOnce   sync.Once

	// Next's own.
	from    transport.Origin
	rs      []wire.Result
	tasks   decoded
	spans   []wire.Span
	exitErr *transport.ExitError
}

// private is a frame of tasks too large for one message, sent to one
// worker's own channel, which splits it as it must: the queue sends it to
// another when that worker ends before its tasks have their results.
type private struct {
	frame     []byte
	spans     []wire.Span
	member    string // the worker it was sent to; "" while none is there
	order     uint64 // when it was sent, among the private frames
	delivered int    // how many times it was sent
	died      int    // workers that died while it was the first they had to run
}

// sentFrame is a frame of tasks the queue published, kept until its tasks
// have their results: a worker's results that the queue refuses were
// acked all the same, and their tasks go again.
type sentFrame struct {
	data  []byte // its frames
	spans []wire.Span
}

// qframe is a frame of results come through the queue.
type qframe struct {
	data   []byte // the whole frame
	member string // who sent it, or "" for the queue's own
	from   transport.Origin
}

var (
	_ transport.Queuer  = (*Transport)(nil)
	_ transport.Sourced = (*queue)(nil)
)

// Queue opens the run's shared queue for the workers Start started.
func (t *Transport) Queue(ctx context.Context, spec transport.QueueSpec) (transport.Worker, error) {
	hello, ok := t.firstHello()
	if !ok {
		return nil, errors.New("nats: a shared queue needs a worker started first")
	}
	if _, err := t.tasksConsumer(max(spec.Deliveries, 1)); err != nil {
		return nil, fmt.Errorf("nats: the consumer of the shared queue: %w", err)
	}
	q := &queue{t: t, id: spec.ID, hello: hello, log: spec.Logger, deliveries: max(spec.Deliveries, 1), wake: make(chan struct{}, 1), ended: make(chan struct{})}
	q.pub = newSender(t.js, t.run.subject(toWorker, queueMember), maxPayload(t.nc), t.cfg.RetryFor)
	// A queue opened again must not have its frames taken for retried
	// publishes of the last one's.
	q.gen = strconv.FormatUint(t.queues.Add(1), 10)
	q.hdr = nats.Header{hdrQueue: []string{q.gen}}
	q.pub.name += "." + q.gen
	if err := q.consume(); err != nil {
		q.release()
		return nil, err
	}
	t.setQueue(q)
	return q, nil
}

// consume reads the results of the queue, and listens for the frames
// JetStream gives up on.
func (q *queue) consume() error {
	t := q.t
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	cons, err := t.out.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:           queueMember,
		FilterSubject:     t.run.subject(fromWorker, queueMember),
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           3 * time.Second,
		MaxAckPending:     -1,
		InactiveThreshold: time.Hour,
		Replicas:          t.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("nats: the consumer of the shared queue's results: %w", err)
	}
	q.results, err = cons.Consume(q.arrived, jetstream.PullExpiry(pullExpiry), jetstream.PullHeartbeat(pullHeartbeat),
		jetstream.ConsumeErrHandler(func(jetstream.ConsumeContext, error) {}))
	if err != nil {
		return fmt.Errorf("nats: consuming the shared queue's results: %w", err)
	}
	subject := "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + t.run.stream(toWorker) + "." + queueMember
	if q.lost, err = t.nc.Subscribe(subject, func(m *nats.Msg) { t.tidying.Go(func() { q.gaveUp(m.Data) }) }); err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	return nil
}

// arrived takes a message of results a worker published: frames of
// results of the tasks of one message of tasks.
func (q *queue) arrived(m jetstream.Msg) {
	if m.Headers().Get(hdrQueue) != q.gen {
		m.Ack() // for tasks of a queue before this one, which the pool sent again
		return
	}
	delivered, _ := strconv.Atoi(m.Headers().Get(hdrDelivered))
	member, from := m.Headers().Get(hdrMember), transport.Origin{Delivered: max(delivered, 1)}
	q.mu.Lock()
	for data := m.Data(); len(data) > 0; {
		n := len(data) // what is no frame goes whole, and is refused
		if len(data) >= wire.HeaderSize {
			n = min(n, wire.FrameSize(int(binary.BigEndian.Uint32(data))))
		}
		q.waiting = append(q.waiting, qframe{data: data[:n], member: member, from: from})
		data = data[n:]
	}
	q.mu.Unlock()
	q.signal()
	m.Ack()
}

func (q *queue) push(f qframe) {
	q.mu.Lock()
	q.waiting = append(q.waiting, f)
	q.mu.Unlock()
	q.signal()
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// gaveUp fails the tasks without a result of the frame an advisory says
// JetStream delivered its last time.
func (q *queue) gaveUp(advisory []byte) {
	var a struct {
		Seq        uint64 `json:"stream_seq"`
		Deliveries int    `json:"deliveries"`
	}
	if json.Unmarshal(advisory, &a) != nil || a.Seq == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	raw, err := q.t.in.GetMsg(ctx, a.Seq)
	if err != nil {
		return // acked meanwhile: its results are in
	}
	defer q.t.in.DeleteMsg(ctx, a.Seq)
	var tasks decoded
	spans, err := messageSpans(raw.Data, nil, &tasks)
	if err != nil {
		return
	}
	q.mu.Lock()
	open := q.openIDs(spans)
	q.mu.Unlock()
	q.pushLost(open, a.Deliveries, q.lostWhy(a.Deliveries))
}

// openIDs returns the ids of spans that have no result yet. q.mu is held.
func (q *queue) openIDs(spans []wire.Span) []uint64 {
	var ids []uint64
	for _, sp := range spans {
		for id := sp.First; id <= sp.Last; id++ {
			if q.open.has(id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// pushLost has Next return failures for the tasks ids, whose message was
// delivered its last time, the delivered-th, for why.
func (q *queue) pushLost(ids []uint64, delivered int, why string) {
	if len(ids) == 0 {
		return
	}
	rs := make([]wire.Result, len(ids))
	for i, id := range ids {
		rs[i] = wire.Result{ID: id, Err: &wire.Error{Kind: wire.KindWorkerDied, Message: why}}
	}
	if frame, err := wire.AppendResults(nil, rs); err == nil {
		q.push(qframe{data: frame, from: transport.Origin{Delivered: delivered, Lost: why}})
	}
}

func (q *queue) Hello() wire.Hello { return q.hello }

// PID returns 0: the queue is no process.
func (q *queue) PID() int { return 0 }

// Send publishes the frames of tasks of frames for any worker to take,
// as many to a message as the server allows, and sends a Cancel frame to
// every worker. A frame larger than a message goes to one worker's own
// channel (placePrivate).
func (q *queue) Send(frames []byte) error {
	var f framer
	msg := frames[:0] // consecutive frames of tasks, not yet published
	err := f.add(frames, func(frame []byte) error {
		body := frame[wire.HeaderSize:]
		if typ, err := wire.PeekType(body); err == nil && typ == wire.TypeCancel {
			return q.cancel(frame)
		}
		if len(msg)+len(frame) > q.pub.max && len(msg) > 0 {
			if err := q.publish(msg); err != nil {
				return err
			}
			msg = frames[len(msg):len(msg)]
		}
		if len(frame) > q.pub.max {
			return q.private(frame)
		}
		if len(msg) == 0 {
			msg = frame
		} else {
			msg = msg[:len(msg)+len(frame)] // frame follows msg in frames
		}
		return nil
	})
	if err == nil && len(msg) > 0 {
		err = q.publish(msg)
	}
	return err
}

// cancel records the tasks of a Cancel frame, whose results may be of
// kind cancelled, and sends it to every worker.
func (q *queue) cancel(frame []byte) error {
	spans, err := wire.DecodeCancel(frame[wire.HeaderSize:], nil)
	if err != nil {
		return fmt.Errorf("nats: the shared queue: %w", err)
	}
	q.mu.Lock()
	q.cancelled = append(q.cancelled, spans...)
	q.mu.Unlock()
	q.t.eachWorker(func(w *natsWorker) { w.Send(frame) })
	return nil
}

// opened notes the tasks of msg, frames of tasks, as sent. It returns
// their spans, which the queue's scratch holds until the next call.
func (q *queue) opened(msg []byte) ([]wire.Span, error) {
	spans, err := messageSpans(msg, q.spans[:0], &q.tasks)
	q.spans = spans
	if err != nil {
		return nil, fmt.Errorf("nats: the shared queue: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.killed != "" || q.closed {
		return nil, fmt.Errorf("nats: the shared queue: %w", transport.ErrClosed)
	}
	for _, sp := range spans {
		q.open.addSpan(sp)
		q.last = max(q.last, sp.Last)
	}
	return spans, nil
}

// publish publishes msg, frames of tasks, as one message.
func (q *queue) publish(msg []byte) error {
	spans, err := q.opened(msg)
	if err != nil {
		return err
	}
	data := append([]byte(nil), msg...) // the sender's, and kept: it is never written to
	q.mu.Lock()
	q.sent = append(q.sent, sentFrame{data: data, spans: append([]wire.Span(nil), spans...)})
	q.mu.Unlock()
	if err := q.pub.sendOwned(context.Background(), data, q.hdr, nil); err != nil {
		q.Kill(fmt.Sprintf("its tasks could not be published: %v", err))
		return fmt.Errorf("nats: the shared queue: %w", err)
	}
	return nil
}

// private sends frame, larger than a message, to one worker's own
// channel.
func (q *queue) private(frame []byte) error {
	spans, err := q.opened(frame)
	if err != nil {
		return err
	}
	q.mu.Lock()
	q.privates = append(q.privates, &private{frame: append([]byte(nil), frame...),
		spans: append([]wire.Span(nil), spans...), delivered: 1})
	q.mu.Unlock()
	q.placePrivate()
	return nil
}

// placePrivate sends each private frame that has no worker to a live one.
//
// The frames go to a worker in the order of their order, which lostPrivate
// relies on: a worker runs its frames in the order they come.
func (q *queue) placePrivate() {
	q.placing.Lock()
	defer q.placing.Unlock()
	for {
		q.mu.Lock()
		var p *private
		for _, x := range q.privates {
			if x.member == "" {
				p = x
				break
			}
		}
		var w *natsWorker
		if p != nil {
			if w = q.t.anyWorker(""); w != nil {
				q.placed++
				p.member, p.order = w.member, q.placed
			}
		}
		q.mu.Unlock()
		if w == nil {
			return // placed when one joins
		}
		w.Send(p.frame) // a worker that cannot take it is killed, and lostPrivate places it again
	}
}

// lostPrivate places again the private frames of member, which ended,
// whose tasks lack results. The first of them, the one it ran, counts the
// death; once QueueSpec.Deliveries workers died running a frame, its tasks
// fail. Those behind it did not run, and go again whatever their count.
func (q *queue) lostPrivate(member string) {
	var lost []uint64 // of the first, if it failed
	var lostDelivered int
	q.mu.Lock()
	var first *private
	for _, p := range q.privates {
		if p.member == member && !q.answered(p.spans) && (first == nil || p.order < first.order) {
			first = p
		}
	}
	kept := q.privates[:0]
	for _, p := range q.privates {
		open := q.openIDs(p.spans)
		switch {
		case len(open) == 0:
			continue // answered
		case p.member != member:
		case p == first && p.died+1 >= q.deliveries:
			lost, lostDelivered = open, p.delivered
			continue
		default:
			if p == first {
				p.died++
			}
			p.member = ""
			p.delivered++
		}
		kept = append(kept, p)
	}
	clear(q.privates[len(kept):])
	q.privates = kept
	q.mu.Unlock()
	q.pushLost(lost, lostDelivered, fmt.Sprintf("%d workers died running its frame of tasks, which was too large "+
		"for one message and went to each alone; QueueSpec.Deliveries is %d", q.deliveries, q.deliveries))
	q.placePrivate()
}

// lostWhy is the reason a task fails whose frame was delivered n times
// and never finished.
func (q *queue) lostWhy(n int) string {
	return fmt.Sprintf("its message of tasks was delivered to workers %d times and none of them finished it "+
		"(they died, hung, or lost their server); QueueSpec.Deliveries is %d", n, q.deliveries)
}

// Next returns the body of the next frame of results, with the results
// already returned dropped; io.EOF once CloseInput was called and every
// task sent has its result.
func (q *queue) Next(buf []byte) ([]byte, error) {
	for {
		q.mu.Lock()
		var f qframe
		ok := len(q.waiting) > 0
		if ok {
			f = q.waiting[0]
			q.waiting[0] = qframe{}
			q.waiting = q.waiting[1:]
		}
		killed, closed, open := q.killed, q.closed, q.open.len()
		q.mu.Unlock()
		switch {
		case ok:
			body, err := q.take(f)
			if err != nil {
				q.t.killMember(f.member, fmt.Sprintf("it broke the protocol (%v)", err))
				q.again(q.rs)
				continue
			}
			if body != nil {
				return body, nil
			}
			continue
		case killed != "":
			return nil, fmt.Errorf("nats: the shared queue was ended: %s", killed)
		case closed && open == 0:
			return nil, io.EOF
		case closed && q.t.liveWorkers() == 0:
			return nil, fmt.Errorf("nats: %d tasks of the shared queue have no result and no worker is left", open)
		}
		<-q.wake
	}
}

// take checks f, a frame of results, and returns its body without the
// results already taken, or nil when none is left. A worker's frame that
// breaks the protocol is an error: results for tasks never sent, through
// a lane, or of a kind only the coordinator gives (docs/PROTOCOL.md §6).
func (q *queue) take(f qframe) ([]byte, error) {
	body, err := oneFrame(f.data)
	if err != nil {
		return nil, err
	}
	if typ, err := wire.PeekType(body); err != nil || typ != wire.TypeResults {
		return nil, fmt.Errorf("%w: a worker sends only results to the shared queue", wire.ErrMalformed)
	}
	if q.rs, err = wire.DecodeResults(body, q.rs[:0]); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if f.member != "" {
		if err := q.check(q.rs); err != nil {
			return nil, err
		}
		if f.from.Delivered == 0 { // from the worker's own channel
			f.from.Delivered = 1
			for _, p := range q.privates {
				if len(q.rs) > 0 && spansHave(p.spans, q.rs[0].ID) {
					f.from.Delivered = p.delivered
				}
			}
		}
		if w, ok := q.t.worker(f.member); ok {
			f.from.Worker, f.from.PID = w.id, w.PID()
		}
	}
	kept := q.rs[:0]
	for _, r := range q.rs {
		if q.open.remove(r.ID) {
			kept = append(kept, r)
		} else {
			q.dups++
		}
	}
	q.from = f.from
	if len(q.privates) > 0 {
		q.privates = slices.DeleteFunc(q.privates, func(p *private) bool { return q.answered(p.spans) })
	}
	n := 0
	for n < len(q.sent) && q.answered(q.sent[n].spans) {
		q.sent[n] = sentFrame{}
		n++
	}
	q.sent = q.sent[n:]
	switch {
	case len(kept) == 0:
		return nil, nil
	case len(kept) < len(q.rs):
		q.log.Info().Int("duplicates", q.dups).Msg("nats: the shared queue dropped results of tasks that ran again (delivery is at least once)")
		frame, err := wire.AppendResults(nil, kept)
		if err != nil {
			return nil, err
		}
		return frame[wire.HeaderSize:], nil
	}
	return body, nil
}

// again publishes once more, each alone, the tasks of rs that still lack
// results: the queue refused a worker's results for them.
func (q *queue) again(rs []wire.Result) {
	var frames [][]byte
	q.mu.Lock()
	for _, sf := range q.sent {
		mine := false
		for i := range rs {
			mine = mine || q.open.has(rs[i].ID) && spansHave(sf.spans, rs[i].ID)
		}
		if !mine {
			continue
		}
		tasks, err := singles(sf.data)
		if err != nil {
			continue
		}
		for _, t := range tasks {
			for i := range rs {
				if t.id == rs[i].ID && q.open.has(t.id) {
					frames = append(frames, t.frame)
				}
			}
		}
	}
	q.mu.Unlock()
	for _, f := range frames {
		if err := q.pub.sendMsg(context.Background(), f, q.hdr, nil); err != nil {
			q.Kill(fmt.Sprintf("its tasks could not be published: %v", err))
			return
		}
	}
}

// answered reports whether every task of spans has its result. q.mu is
// held.
func (q *queue) answered(spans []wire.Span) bool {
	for _, sp := range spans {
		for id := sp.First; id <= sp.Last; id++ {
			if q.open.has(id) {
				return false
			}
		}
	}
	return true
}

// check refuses results a worker may not send. q.mu is held.
func (q *queue) check(rs []wire.Result) error {
	for i := range rs {
		r := &rs[i]
		switch {
		case r.ID > q.last:
			return fmt.Errorf("%w: result for task %d, which was never sent", wire.ErrMalformed, r.ID)
		case !r.Lane.IsZero():
			return fmt.Errorf("%w: result for task %d in a lane, which the worker does not have", wire.ErrMalformed, r.ID)
		case r.Err == nil:
		case r.Err.Kind == wire.KindTimeout, r.Err.Kind == wire.KindWorkerDied,
			r.Err.Kind == wire.KindCancelled && !spansHave(q.cancelled, r.ID):
			return fmt.Errorf("%w: result of kind %q for task %d, which only the coordinator gives", wire.ErrMalformed, r.Err.Kind, r.ID)
		}
	}
	return nil
}

// Origin describes the frame Next returned last.
func (q *queue) Origin() transport.Origin { return q.from }

// Duplicates returns how many results the queue dropped because their
// task had one already.
func (q *queue) Duplicates() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dups
}

func (q *queue) Buffered() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting) > 0
}

// CloseInput says no more tasks come: Next ends once each task sent has
// its result.
func (q *queue) CloseInput() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// Terminate asks every worker to stop now.
func (q *queue) Terminate(reason string) {
	q.t.eachWorker(func(w *natsWorker) { w.Terminate(reason) })
}

// Kill ends the queue, and every worker, which may hold its tasks.
func (q *queue) Kill(reason string) {
	q.mu.Lock()
	if q.killed == "" {
		q.killed = reason
	}
	q.mu.Unlock()
	q.t.eachWorker(func(w *natsWorker) { w.Kill(reason) })
	q.signal()
}

// Ended is closed by Wait.
func (q *queue) Ended() <-chan struct{} { return q.ended }

// Wait releases the queue: what is left of its frames is purged.
func (q *queue) Wait() *transport.ExitError {
	q.endOnce.Do(func() {
		q.release()
		q.mu.Lock()
		e := &transport.ExitError{Worker: q.id, Code: 0, Status: "closed"}
		if q.killed != "" {
			e.Code, e.Status, e.Reason = -1, "ended", "killed by brine: "+q.killed
		}
		q.mu.Unlock()
		q.exitErr = e
		close(q.ended)
	})
	return q.exitErr
}

// release stops reading and publishing, and purges the frames no worker
// finished: the pool sends those tasks again through the next queue.
func (q *queue) release() {
	t := q.t
	t.setQueue(nil)
	if q.lost != nil {
		q.lost.Unsubscribe()
	}
	if q.results != nil {
		q.results.Stop()
	}
	q.pub.close()
	if !t.nc.IsConnected() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	t.in.Purge(ctx, jetstream.WithPurgeSubject(t.run.subject(toWorker, queueMember)))
}

func (q *queue) Close() {}
