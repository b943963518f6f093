package nats

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers of the messages of a channel.
const (
	hdrSeq = "Brine-Seq" // the message's place in its channel, from 1
	hdrEnd = "Brine-End" // on the last message: the sender's exit status
)

// Timing of the JetStream calls. Every call has its own timeout; a publish
// is retried, with the same message id, until retryFor has passed: a
// stream whose leader died has none for seconds.
const (
	callTimeout = 2 * time.Second
	retryPause  = 100 * time.Millisecond
	// A pull that waits 30 s, nats.go's default, would hold a consumer to
	// a dead server's leader that long.
	pullExpiry    = 4 * time.Second
	pullHeartbeat = time.Second
)

// sender writes a stream of bytes to one subject of a stream, in messages
// of at most max bytes, numbered in hdrSeq. It publishes without waiting
// for the stream's acks: a goroutine of its own collects them in order and
// publishes again, with the same message id, what the stream did not
// store; the receiver puts the messages back in order. Its methods may be
// called from several goroutines.
type sender struct {
	js       jetstream.JetStream
	subject  string
	name     string // of its messages' ids, before their hdrSeq: subject, or more where senders share it
	max      int
	retryFor time.Duration

	mu         sync.Mutex // orders the sends, and close
	seq        uint64
	acks       chan unacked // to confirm, in the order published
	closed     bool
	stop       context.Context // ended by close
	cancel     context.CancelFunc
	confirming sync.WaitGroup

	errMu  sync.Mutex
	failed error // a publish that could not be stored, set by confirm
}

// unacked is a publish awaiting its ack, or, with done, a point that
// flush waits for.
type unacked struct {
	f      jetstream.PubAckFuture
	msg    *nats.Msg
	stored func() // called once the stream stored msg, or nil
	done   chan struct{}
}

// maxUnconfirmed bounds the publishes a sender has not seen acked.
const maxUnconfirmed = 256

func newSender(js jetstream.JetStream, subject string, max int, retryFor time.Duration) *sender {
	s := &sender{js: js, subject: subject, name: subject, max: max, retryFor: retryFor, acks: make(chan unacked, maxUnconfirmed)}
	s.stop, s.cancel = context.WithCancel(context.Background())
	s.confirming.Go(s.confirm) // owned by s, awaited in close
	return s
}

// send publishes data, split as the server's maximum payload requires,
// and, when end is true, a last message that says the sender ends with
// status; it then returns once the stream has stored every message sent.
// It returns the error of a publish the stream could not store within
// retryFor, this one or an earlier one.
func (s *sender) send(ctx context.Context, data []byte, end bool, status int) error {
	return s.sendThen(ctx, data, end, status, nil)
}

// sendThen is send that calls stored, on the sender's own goroutine, once
// the stream has stored the last of data's messages.
func (s *sender) sendThen(ctx context.Context, data []byte, end bool, status int, stored func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	for len(data) > 0 || end {
		n := min(len(data), s.max)
		// The message is kept for its retries: its bytes must not be the
		// caller's, which it reuses.
		msg := &nats.Msg{Subject: s.subject, Data: append([]byte(nil), data[:n]...), Header: nats.Header{}}
		data = data[n:]
		s.seq++
		msg.Header.Set(hdrSeq, strconv.FormatUint(s.seq, 10))
		if end && len(data) == 0 {
			msg.Header.Set(hdrEnd, strconv.Itoa(status))
			end = false
			if err := s.publish(ctx, msg); err != nil {
				return err
			}
			return s.flush(ctx)
		}
		var then func()
		if len(data) == 0 {
			then = stored
		}
		if err := s.publishAsync(ctx, msg, then); err != nil {
			return err
		}
	}
	return s.err()
}

// publishAsync publishes msg without waiting for the stream's ack, which
// confirm collects, calling stored then, if not nil; if it cannot, it
// publishes msg and waits. s.mu is held.
func (s *sender) publishAsync(ctx context.Context, msg *nats.Msg, stored func()) error {
	f, err := s.js.PublishMsgAsync(msg, jetstream.WithMsgID(s.id(msg)))
	if err != nil {
		if err := s.publish(ctx, msg); err != nil {
			return err
		}
		if stored != nil {
			stored()
		}
		return nil
	}
	select {
	case s.acks <- unacked{f: f, msg: msg, stored: stored}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendMsg publishes data, at most max bytes, as one message with the
// headers of hdr besides its own, and calls stored, on the sender's own
// goroutine, once the stream has stored it. It returns the error of an
// earlier publish the stream could not store within retryFor.
func (s *sender) sendMsg(ctx context.Context, data []byte, hdr nats.Header, stored func()) error {
	if len(data) > s.max {
		return fmt.Errorf("nats: a message of %d bytes, more than the server takes (%d)", len(data), s.max)
	}
	return s.sendOwned(ctx, append([]byte(nil), data...), hdr, stored)
}

// sendOwned is sendMsg of data that is the sender's from now on.
func (s *sender) sendOwned(ctx context.Context, data []byte, hdr nats.Header, stored func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	msg := &nats.Msg{Subject: s.subject, Data: data, Header: nats.Header{}}
	for k, v := range hdr {
		msg.Header[k] = v
	}
	s.seq++
	msg.Header.Set(hdrSeq, strconv.FormatUint(s.seq, 10))
	if err := s.publishAsync(ctx, msg, stored); err != nil {
		return err
	}
	return s.err()
}

// id is msg's message id: the one its headers give, or its sender's
// name and its place in the channel.
func (s *sender) id(msg *nats.Msg) string {
	if id := msg.Header.Get(jetstream.MsgIDHeader); id != "" {
		return id
	}
	return s.name + "." + msg.Header.Get(hdrSeq)
}

func (s *sender) err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.failed
}

// wait returns once every message sent before it is stored, with the
// error of one that could not be, or once ctx ends.
func (s *sender) wait(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	return s.flush(ctx)
}

// flush waits until every publish before it is confirmed. s.mu is held.
func (s *sender) flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case s.acks <- unacked{done: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.err()
}

// confirm waits for the acks of the publishes in order, and publishes
// again, synchronously, each one the stream did not store.
func (s *sender) confirm() {
	for p := range s.acks {
		if p.done != nil {
			close(p.done)
			continue
		}
		select {
		case <-p.f.Ok():
			if p.stored != nil {
				p.stored()
			}
			continue
		case <-p.f.Err():
		case <-s.stop.Done():
			continue
		}
		if err := s.publish(s.stop, p.msg); err != nil {
			s.errMu.Lock()
			if s.failed == nil {
				s.failed = err
			}
			s.errMu.Unlock()
		} else if p.stored != nil {
			p.stored()
		}
	}
}

// publish publishes msg and waits for its ack, again with the same message
// id until retryFor has passed.
func (s *sender) publish(ctx context.Context, msg *nats.Msg) error {
	id := s.id(msg)
	deadline := time.Now().Add(s.retryFor)
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		_, err := s.js.PublishMsg(cctx, msg, jetstream.WithMsgID(id))
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryPause):
		}
	}
}

// close stops confirming; what is not confirmed yet is left to the
// stream. It is idempotent.
func (s *sender) close() {
	s.cancel()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.acks)
	}
	s.mu.Unlock()
	s.confirming.Wait()
}

// maxEarly bounds the messages a receiver holds ahead of one it misses;
// those past it are refused (nak) and come again.
const maxEarly = 1024

// piece is what one message adds to a channel.
type piece struct {
	data   []byte
	end    bool // the last message
	status int  // the sender's exit status, on the last
}

// receiver reads the channel of one durable consumer as an io.Reader: its
// messages' bytes in the order of hdrSeq, each once, however often
// JetStream delivers it, and io.EOF after the last (hdrEnd) or once
// finish is called.
type receiver struct {
	cc jetstream.ConsumeContext

	mu     sync.Mutex
	next   uint64           // the sequence number wanted next
	early  map[uint64]piece // messages past next
	queue  [][]byte         // in order, not yet read
	ended  bool             // the last message has been queued
	status int              // what it said
	done   bool             // nothing more is read: finish was called
	wake   chan struct{}    // signalled when queue grows or done is set
}

// receive consumes cons until finish is called.
func receive(cons jetstream.Consumer) (*receiver, error) {
	r := &receiver{next: 1, early: map[uint64]piece{}, wake: make(chan struct{}, 1)}
	cc, err := cons.Consume(r.handle, jetstream.PullExpiry(pullExpiry), jetstream.PullHeartbeat(pullHeartbeat),
		jetstream.ConsumeErrHandler(func(jetstream.ConsumeContext, error) {}))
	if err != nil {
		return nil, err
	}
	r.cc = cc
	return r, nil
}

func (r *receiver) handle(m jetstream.Msg) {
	seq, err := strconv.ParseUint(m.Headers().Get(hdrSeq), 10, 64)
	if err != nil || seq == 0 {
		m.Term() // no message of a channel: never again
		return
	}
	p := piece{data: m.Data()}
	if s := m.Headers().Get(hdrEnd); s != "" {
		p.end = true
		p.status, _ = strconv.Atoi(s)
	}
	r.mu.Lock()
	_, held := r.early[seq]
	switch {
	case seq < r.next || held: // had it already
	case seq > r.next && len(r.early) >= maxEarly:
		r.mu.Unlock()
		m.Nak()
		return
	case seq > r.next:
		r.early[seq] = p
	default:
		r.push(p)
		for q, ok := r.early[r.next]; ok; q, ok = r.early[r.next] {
			delete(r.early, r.next)
			r.push(q)
		}
	}
	r.mu.Unlock()
	m.Ack()
}

// push queues p, the piece of r.next.
func (r *receiver) push(p piece) {
	r.next++
	if r.ended {
		return
	}
	if len(p.data) > 0 {
		r.queue = append(r.queue, p.data)
	}
	if p.end {
		r.ended, r.status = true, p.status
	}
	r.signal()
}

func (r *receiver) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Read reads the channel's bytes, blocking until some come, the last
// message has been read or finish is called: then it returns io.EOF.
func (r *receiver) Read(b []byte) (int, error) {
	for {
		r.mu.Lock()
		if len(r.queue) > 0 {
			n := copy(b, r.queue[0])
			if r.queue[0] = r.queue[0][n:]; len(r.queue[0]) == 0 {
				r.queue[0] = nil
				r.queue = r.queue[1:]
			}
			r.mu.Unlock()
			return n, nil
		}
		end := r.ended || r.done
		r.mu.Unlock()
		if end {
			return 0, io.EOF
		}
		<-r.wake
	}
}

// ready reports whether Read would return bytes at once.
func (r *receiver) ready() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue) > 0
}

// last reports whether the channel's last message has been received, and
// the status it carried.
func (r *receiver) last() (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended, r.status
}

// holding reports whether messages wait behind one that has not come.
func (r *receiver) holding() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.early) > 0
}

// finish stops consuming: Read returns io.EOF once the bytes queued are
// read. It is idempotent.
func (r *receiver) finish() {
	r.cc.Stop()
	select { // its goroutines end
	case <-r.cc.Closed():
	case <-time.After(callTimeout):
	}
	r.mu.Lock()
	r.done = true
	r.mu.Unlock()
	r.signal()
}
