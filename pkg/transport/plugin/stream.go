package plugin

import (
	"io"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// handshake is go-plugin's handshake with a worker this transport starts:
// a worker serves through go-plugin, not on fds 3 and 4, when its
// environment has the magic cookie. ProtocolVersion is the version of the
// plugin's interface, a stream of brine's frames; the frames' own version
// is checked by brine's handshake that follows, with wire.Version.
var handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "BRINE_PLUGIN",
	MagicCookieValue: "frames-of-docs/PROTOCOL.md",
}

// envProtocol tells a worker the Protocol to serve: go-plugin's server
// decides between net/rpc and gRPC, and the client only checks.
const envProtocol = "BRINE_PLUGIN_PROTOCOL"

// pluginName is the one plugin a worker serves.
const pluginName = "frames"

// stream carries frames between the coordinator and a worker.
type stream interface {
	io.ReadWriter
	// CloseWrite ends the other side's input; reading goes on to the end
	// of its output.
	CloseWrite() error
	// Close releases the stream once neither side needs it.
	Close() error
}

// opener is the client half of the plugin, as go-plugin dispenses it.
type opener interface {
	open() (stream, error)
}

// framesPlugin is the plugin, both halves: the server half hands the
// stream the client opens to conns.
type framesPlugin struct {
	conns chan<- serverStream // the worker's side; nil in the coordinator
}

// serverStream is the worker's side of a stream.
type serverStream interface {
	io.ReadWriter
	// gone is closed when the coordinator's connection is.
	gone() <-chan struct{}
	// finish ends the worker's output, so that the coordinator reads to its
	// end, before the process exits.
	finish()
}

// quietLogger is go-plugin's logger: off. The worker's output reaches the
// pool's log through relay, not through go-plugin.
func quietLogger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Off, Output: io.Discard})
}
