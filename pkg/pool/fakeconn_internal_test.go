package pool

import (
	"bytes"

	"time"

	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// fakeConn is a transport.Worker with no process behind it: it reads the
// worker's output from a fixed stream and discards what is sent.
type fakeConn struct {
	r     *wire.Reader
	ended chan struct{}
}

func newFakeConn(output []byte) *fakeConn {
	return &fakeConn{r: wire.NewReader(bytes.NewReader(output), 4<<10, 0), ended: make(chan struct{})}
}

var _ transport.Worker = (*fakeConn)(nil)

func (c *fakeConn) Hello() wire.Hello                   { return wire.Hello{Version: wire.Version} }
func (c *fakeConn) PID() int                            { return 0 }
func (c *fakeConn) Send([]byte) error                   { return nil }
func (c *fakeConn) Next(buf []byte) ([]byte, error)     { return c.r.NextInto(buf) }
func (c *fakeConn) Buffered() bool                      { return c.r.Ready() }
func (c *fakeConn) Blocks() bool                        { return false }
func (c *fakeConn) Poll(time.Duration)                  {}
func (c *fakeConn) Lanes() (*lane.Writer, *lane.Reader) { return nil, nil }
func (c *fakeConn) CloseInput()                         {}
func (c *fakeConn) FlushOutput()                        {}
func (c *fakeConn) Terminate(string)                    {}
func (c *fakeConn) Kill(string)                         {}
func (c *fakeConn) Ended() <-chan struct{}              { return c.ended }
func (c *fakeConn) Close()                              {}
func (c *fakeConn) Wait() *transport.ExitError {
	return &transport.ExitError{Status: "signal: killed", Code: -1}
}
