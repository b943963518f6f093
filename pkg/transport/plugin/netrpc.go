package plugin

import (
	"fmt"
	"net"
	"net/rpc"

	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/yamux"
)

// The net/rpc half of the plugin: one call, Open, has the worker accept a
// stream of go-plugin's MuxBroker, which the coordinator dials; the frames
// then travel over it as bytes, through yamux and the worker's Unix
// socket.

func (p *framesPlugin) Server(b *goplugin.MuxBroker) (any, error) {
	return &rpcServer{broker: b, conns: p.conns}, nil
}

func (p *framesPlugin) Client(b *goplugin.MuxBroker, c *rpc.Client) (any, error) {
	return &rpcOpener{broker: b, client: c}, nil
}

// rpcServer is what the worker serves over net/rpc.
type rpcServer struct {
	broker *goplugin.MuxBroker
	conns  chan<- serverStream
}

// Open returns in id the broker's id of a stream the worker accepts for
// the frames.
func (s *rpcServer) Open(_ bool, id *uint32) error {
	*id = s.broker.NextId()
	go s.accept(*id) // ends within the broker's 5-second timeout, at most
	return nil
}

func (s *rpcServer) accept(id uint32) {
	conn, err := s.broker.Accept(id)
	if err != nil {
		return // the coordinator then fails to dial it, and says so
	}
	ys, ok := conn.(*yamux.Stream)
	if !ok {
		conn.Close()
		return
	}
	select {
	case s.conns <- rpcServerStream{ys}:
	default: // a second stream: the worker serves one
		conn.Close()
	}
}

type rpcServerStream struct{ *yamux.Stream }

func (s rpcServerStream) gone() <-chan struct{} { return s.Session().CloseChan() }

// finish half-closes the stream. Every Write returned once yamux wrote
// its bytes to the socket, so what is left to read is there when the
// process exits.
func (s rpcServerStream) finish() { s.Close() }

// rpcOpener is the coordinator's side of the plugin.
type rpcOpener struct {
	broker *goplugin.MuxBroker
	client *rpc.Client
}

func (o *rpcOpener) open() (stream, error) {
	var id uint32
	if err := o.client.Call("Plugin.Open", true, &id); err != nil {
		return nil, fmt.Errorf("opening the stream of frames: %w", err)
	}
	conn, err := o.broker.Dial(id)
	if err != nil {
		return nil, fmt.Errorf("dialing the stream of frames: %w", err)
	}
	return rpcStream{conn}, nil
}

// rpcStream is a stream of yamux: Close closes it for writing only.
type rpcStream struct{ net.Conn }

func (s rpcStream) CloseWrite() error { return s.Conn.Close() }
