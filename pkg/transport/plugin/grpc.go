package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The gRPC half of the plugin: one bidirectional stream, Exchange, whose
// messages are wrapperspb.BytesValue holding pieces of the byte stream of
// frames (a message may hold several frames, or part of one). An empty
// message from the worker ends its output: the coordinator, once it read
// it, cancels the stream, which tells the worker that it may exit.

// maxMessage is the most bytes of frames in one message, well under
// gRPC's default limit of 4 MiB on what a server receives.
const maxMessage = 1 << 20

var framesService = grpc.ServiceDesc{
	ServiceName: "brine.plugin.Frames",
	HandlerType: (*any)(nil),
	Streams: []grpc.StreamDesc{{
		StreamName:    "Exchange",
		Handler:       exchange,
		ServerStreams: true,
		ClientStreams: true,
	}},
	Metadata: "pkg/transport/plugin/grpc.go",
}

const exchangeMethod = "/brine.plugin.Frames/Exchange"

func (p *framesPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&framesService, p)
	return nil
}

func (p *framesPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &grpcOpener{conn: c}, nil
}

// exchange serves the stream: it hands it to Serve and returns once Serve
// finished with it.
func exchange(srv any, ss grpc.ServerStream) error {
	p := srv.(*framesPlugin)
	s := &grpcServerStream{ss: ss, done: make(chan struct{})}
	select {
	case p.conns <- s:
	default:
		return status.Error(codes.AlreadyExists, "the worker serves one stream of frames")
	}
	<-s.done
	return nil
}

// grpcServerStream is the worker's side of the stream.
type grpcServerStream struct {
	ss   grpc.ServerStream
	in   []byte // what is left of the last message read
	done chan struct{}
}

func (s *grpcServerStream) Read(p []byte) (int, error) {
	for len(s.in) == 0 {
		var m wrapperspb.BytesValue
		if err := s.ss.RecvMsg(&m); err != nil {
			return 0, endOf(err)
		}
		s.in = m.Value
	}
	n := copy(p, s.in)
	s.in = s.in[n:]
	return n, nil
}

func (s *grpcServerStream) Write(p []byte) (int, error) { return writeMessages(s.ss, p) }

func (s *grpcServerStream) gone() <-chan struct{} { return s.ss.Context().Done() }

// finish sends the empty message that ends the output and waits, a few
// seconds at most, for the coordinator to have read it: SendMsg returns
// once a message is queued, not sent, and the process is about to exit.
func (s *grpcServerStream) finish() {
	s.ss.SendMsg(&wrapperspb.BytesValue{})
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-s.ss.Context().Done():
	case <-t.C:
	}
	close(s.done)
}

// grpcOpener is the coordinator's side of the plugin.
type grpcOpener struct{ conn *grpc.ClientConn }

func (o *grpcOpener) open() (stream, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cs, err := o.conn.NewStream(ctx, &framesService.Streams[0], exchangeMethod)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("opening the stream of frames: %w", err)
	}
	return &grpcStream{cs: cs, cancel: cancel}, nil
}

// grpcStream is the coordinator's side of the stream. One goroutine reads;
// Write and CloseWrite are serialised by the worker's lock.
type grpcStream struct {
	cs     grpc.ClientStream
	cancel context.CancelFunc
	in     []byte
	ended  bool
	once   sync.Once
}

func (s *grpcStream) Read(p []byte) (int, error) {
	for len(s.in) == 0 {
		if s.ended {
			return 0, io.EOF
		}
		var m wrapperspb.BytesValue
		if err := s.cs.RecvMsg(&m); err != nil {
			return 0, endOf(err)
		}
		if len(m.Value) == 0 { // the end of its output: let it exit
			s.ended = true
			s.Close()
			return 0, io.EOF
		}
		s.in = m.Value
	}
	n := copy(p, s.in)
	s.in = s.in[n:]
	return n, nil
}

func (s *grpcStream) Write(p []byte) (int, error) { return writeMessages(s.cs, p) }

func (s *grpcStream) CloseWrite() error { return s.cs.CloseSend() }

func (s *grpcStream) Close() error {
	s.once.Do(s.cancel)
	return nil
}

// writeMessages sends p in messages of at most maxMessage bytes. The
// stream copies each before SendMsg returns.
func writeMessages(s interface{ SendMsg(any) error }, p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), maxMessage)
		if err := s.SendMsg(&wrapperspb.BytesValue{Value: p[:k]}); err != nil {
			return n, endOf(err)
		}
		n, p = n+k, p[k:]
	}
	return n, nil
}

// endOf turns the end of a stream, as gRPC reports it, into io.EOF: the
// other side ended or its connection closed, which is how a worker's
// output ends when it dies.
func endOf(err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	switch status.Code(err) {
	case codes.Canceled, codes.Unavailable:
		return io.EOF
	}
	return err
}
