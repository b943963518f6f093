// Package plugin is a transport (pkg/transport) built on
// hashicorp/go-plugin: each worker is the worker program served through
// go-plugin, with its handshake (magic cookie, protocol version) and its
// client's lifecycle, and brine's frames (docs/PROTOCOL.md) carried as
// bytes over one stream.
//
// New returns a Transport; its Start launches a worker with go-plugin's
// client, opens the stream, completes brine's handshake on it and returns
// a transport.Worker. On the worker's side, importing this package has
// worker.Main serve through Serve instead of on fds 3 and 4 when this
// transport started the process: a worker program imports it.
//
// The frames travel over net/rpc (NetRPC, the default) or gRPC (GRPC).
// With net/rpc, one call has the worker accept a stream of go-plugin's
// MuxBroker, a raw yamux stream over the worker's Unix socket; with gRPC,
// one bidirectional stream carries them as wrapperspb.BytesValue messages.
// NetRPC is the default because it is faster, for lone calls and batched
// tasks alike: the frames cross as bytes, with no message framing,
// encoding or HTTP/2 flow control on top of brine's own. Batching makes
// go-plugin's cost per message matter little to throughput; a lone call
// pays it in full, several times a round trip over pipes (BenchmarkRoundTrip,
// BenchmarkThroughput; bench/RESULTS.md, "Design measurements": go-plugin
// protocols).
//
// What the transport arranges that go-plugin does not: each worker runs in
// its own process group, signalled as a whole, and dies with the
// coordinator (Pdeathsig); its stdout and stderr go to the pool's log line
// by line with its id and pid, JSON lines keeping their level and fields,
// and go-plugin's own logger is off; each client has its own
// configuration and no SecureConfig; and the sockets' directory exists
// only while workers start, so that a coordinator killed outright leaves
// no file behind once its workers have started. Workers get the pool's
// shared conds and barriers on fd 3, and no lanes: payloads go in frames.
package plugin
