// Package transport is the seam between brine's pool and its workers: the
// small interfaces a way of reaching worker processes implements, and the
// errors its implementations share.
//
// A Transport starts workers (Start); a Worker carries the frames of the
// protocol (docs/PROTOCOL.md) both ways, and ends (CloseInput, Terminate,
// Kill, Wait). What the frames say, which tasks are in flight, retries,
// deadlines and batching belong to the pool, which talks to workers only
// through these interfaces; how bytes reach a worker (pipes to a child, a
// go-plugin connection, a message stream) belongs to the transport.
//
// A transport whose workers can share one queue of tasks, as a broker's
// consumers do, is also a Queuer: the pool then sends its tasks to the
// queue and reads every worker's results from it, and delivery is at
// least once (Origin says how often a task's frame was delivered).
//
// Implementations: pkg/transport/pipe (os/exec and pipes, the default),
// pkg/transport/plugin (hashicorp/go-plugin) and pkg/transport/nats (NATS
// JetStream, a Queuer). Each runs the conformance suite in
// pkg/transport/transporttest.
package transport
