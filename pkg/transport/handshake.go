package transport

import (
	"fmt"
	"io"

	"github.com/brinehq/brine/pkg/wire"
)

// Welcome completes a worker's handshake (docs/PROTOCOL.md §3) once its
// first frame's body has been read: it decodes the Hello, refuses a worker
// of another protocol version with a *wire.VersionError, and writes the
// Welcome, which gives the worker its id, to w. A body that is no Hello is
// an error wrapping wire.ErrMalformed; name, the worker's program, goes in
// its hint.
func Welcome(body []byte, w io.Writer, worker int, name string) (wire.Hello, error) {
	hello, err := wire.DecodeHello(body)
	switch {
	case err != nil:
		return hello, fmt.Errorf("bad hello: %w: is %s a brine worker?", err, name)
	case hello.Version != wire.Version:
		return hello, &wire.VersionError{Worker: hello.Version, Coordinator: wire.Version}
	}
	frame, err := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version, Worker: worker})
	if err == nil {
		_, err = w.Write(frame)
	}
	if err != nil {
		return hello, fmt.Errorf("sending welcome: %w", err)
	}
	return hello, nil
}
