// Package pipe is brine's default transport: each worker is a child
// process started with os/exec, whose protocol frames travel over two
// pipes on descriptors 3 and 4 (docs/PROTOCOL.md §2), so that what its tasks
// print to stdout and stderr is relayed to the coordinator's log instead
// of corrupting the protocol.
//
// New returns a Transport; its Start spawns a worker, completes the
// handshake and returns a transport.Worker. A worker gets the pool's
// shared conds and barriers on descriptor 5 and shared-memory lanes for
// large payloads on descriptor 6 (pkg/lane). It runs in its own process
// group and dies with the coordinator (Pdeathsig), and Wait reaps it,
// kills what its tasks left behind, and says how it ended, with the
// cgroup's OOM kill count as a witness when a SIGKILL came from outside.
//
// While the pool expects a result within a round trip (transport.Spec.Near)
// a worker's output is read in blocking mode, on a thread of its own, and
// Poll polls it without sleeping: both answer faster than the runtime's
// poller, at the cost of a thread (see nearReader).
package pipe
