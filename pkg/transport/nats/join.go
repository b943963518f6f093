package nats

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// Headers of a join and of its answer. A worker asks to join on
// joinSubject with its Hello's body; the answer has the Welcome's frame
// and the run and member it serves, or says why it may not: hdrWait to
// ask again later (no worker is wanted now), hdrRefused to give up.
const (
	hdrLaunch   = "Brine-Launch"
	hdrRun      = "Brine-Run"
	hdrMember   = "Brine-Member"
	hdrLiveness = "Brine-Liveness"
	hdrWait     = "Brine-Wait"
	hdrRefused  = "Brine-Refused"
)

// pending is a Start waiting for its worker to join.
type pending struct {
	key   string         // the launch key of a local worker; "" for any worker from elsewhere
	joins chan *nats.Msg // its join, once
}

// join hands a worker's request to the Start waiting for it, or answers
// that none is.
func (t *Transport) join(m *nats.Msg) {
	key := m.Header.Get(hdrLaunch)
	t.mu.Lock()
	var p *pending
	for i, w := range t.waiting {
		if w.key == key {
			p = w
			t.waiting = append(t.waiting[:i], t.waiting[i+1:]...)
			break
		}
	}
	t.mu.Unlock()
	if p == nil {
		answer(m, hdrWait, "this run wants no more workers now")
		return
	}
	p.joins <- m // buffered, and sent once: p has left t.waiting
}

func answer(m *nats.Msg, header, why string) {
	r := nats.NewMsg(m.Reply)
	r.Header.Set(header, why)
	m.RespondMsg(r)
}

// await adds a Start waiting for the worker of key to join.
func (t *Transport) await(key string) (*pending, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errClosed
	}
	p := &pending{key: key, joins: make(chan *nats.Msg, 1)}
	t.waiting = append(t.waiting, p)
	return p, nil
}

// abandon withdraws p; a join that came meanwhile is told to ask again.
func (t *Transport) abandon(p *pending) {
	t.mu.Lock()
	for i, w := range t.waiting {
		if w == p {
			t.waiting = append(t.waiting[:i], t.waiting[i+1:]...)
			break
		}
	}
	t.mu.Unlock()
	select {
	case m := <-p.joins:
		answer(m, hdrWait, "the start it answered gave up")
	default:
	}
}

// startRemote waits, as long as ctx lets it, for a worker to join from
// elsewhere.
func (t *Transport) startRemote(ctx context.Context, spec transport.Spec) (transport.Worker, error) {
	p, err := t.await("")
	if err != nil {
		return nil, err
	}
	select {
	case m := <-p.joins:
		return t.accept(m, spec, nil)
	case <-ctx.Done():
		t.abandon(p)
		return nil, fmt.Errorf("nats: worker %d: no worker joined: %w", spec.ID, ctx.Err())
	}
}

// accept completes the handshake of the worker that sent m, for spec,
// and sets up its consumers. proc is its process when it runs here.
func (t *Transport) accept(m *nats.Msg, spec transport.Spec, proc *process) (*natsWorker, error) {
	name := "the worker"
	if proc != nil {
		name = t.cfg.Command[0]
	}
	if len(m.Data) > wire.MaxHello {
		answer(m, hdrRefused, "hello too large")
		return nil, fmt.Errorf("nats: bad hello: %d bytes > %d", len(m.Data), wire.MaxHello)
	}
	var welcome bytes.Buffer
	hello, err := transport.Welcome(m.Data, &welcome, spec.ID, name)
	if err != nil {
		answer(m, hdrRefused, err.Error())
		return nil, fmt.Errorf("nats: worker %d: %w", spec.ID, err)
	}
	w := &natsWorker{t: t, id: spec.ID, member: memberName(t.members.Add(1)), hello: hello, proc: proc,
		log: spec.Logger, ended: make(chan struct{})}
	if err := w.open(); err != nil {
		answer(m, hdrRefused, "the coordinator could not set up its consumers")
		w.release()
		return nil, fmt.Errorf("nats: worker %d: %w", spec.ID, err)
	}
	w.r.SetFrameTimeout(spec.FrameTimeout, func() { w.Kill(transport.FrameStalled(spec.FrameTimeout)) })
	r := nats.NewMsg(m.Reply)
	r.Header.Set(hdrRun, t.run.id)
	r.Header.Set(hdrMember, w.member)
	r.Header.Set(hdrLiveness, t.cfg.Liveness.String())
	r.Data = welcome.Bytes()
	if err := m.RespondMsg(r); err != nil {
		w.release()
		return nil, fmt.Errorf("nats: worker %d: answering its join: %w", spec.ID, err)
	}
	t.joined(w)
	w.watch()
	return w, nil
}

// consumer makes the durable consumer of member's subject in stream s.
func (t *Transport) consumer(s jetstream.Stream, d direction, member string) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	return s.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       member,
		FilterSubject: t.run.subject(d, member),
		AckPolicy:     jetstream.AckExplicitPolicy,
		// A delivery not acked within AckWait comes again: a worker's
		// server died with it, or the ack was lost.
		AckWait:       3 * time.Second,
		MaxAckPending: 4 * maxEarly,
		// What a dead coordinator leaves on a server it did not own.
		InactiveThreshold: time.Hour,
		Replicas:          t.cfg.Replicas,
	})
}
