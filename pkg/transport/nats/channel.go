package nats

import (
	"context"
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
// of at most max bytes, numbered in hdrSeq. It is used by one goroutine at
// a time.
type sender struct {
	js       jetstream.JetStream
	subject  string
	max      int
	retryFor time.Duration
	seq      uint64
}

// send publishes data, split as the server's maximum payload requires,
// and, when end is true, a last message that says the sender ends with
// status. It returns once the stream has stored every message, or the
// error of the last try once ctx ends or retryFor passes.
func (s *sender) send(ctx context.Context, data []byte, end bool, status int) error {
	for len(data) > 0 || end {
		n := min(len(data), s.max)
		msg := &nats.Msg{Subject: s.subject, Data: data[:n], Header: nats.Header{}}
		data = data[n:]
		s.seq++
		msg.Header.Set(hdrSeq, strconv.FormatUint(s.seq, 10))
		if end && len(data) == 0 {
			msg.Header.Set(hdrEnd, strconv.Itoa(status))
			end = false
		}
		if err := s.publish(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

func (s *sender) publish(ctx context.Context, msg *nats.Msg) error {
	id := s.subject + "." + msg.Header.Get(hdrSeq)
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
