// Package nats is a transport (pkg/transport) over NATS JetStream, for
// workers on any machine that reaches a NATS server.
//
// New returns a Transport. With no URL it embeds a NATS server of its own
// (loopback, random port, JetStream on, streams in memory); with URLs it
// uses an existing server or cluster. Each run has two work-queue streams:
// one of frames to the workers and one of frames from them.
//
// The pool's tasks go through a queue the workers share (Transport.Queue,
// queue.go; the worker's side is pull.go): one subject of the first
// stream, several frames of tasks a message, and one durable pull consumer
// with explicit acks that every worker fetches from; a worker publishes
// the results on the queue's subject of the second stream, and acks the
// message once they are stored. JetStream delivers a message no worker
// acked within AckWait again, or at once when the coordinator gives back
// those of a local worker whose process exited, up to MaxDeliver times,
// and then the queue fails its tasks. Delivery is at least once: a message
// of results has an id naming the message of tasks and the tasks it
// answers (resultsID), which the stream keeps once, and the coordinator
// keeps the first result of each task.
//
// Each worker is also a member of the run with a subject in each stream
// and a durable pull consumer on each, with explicit acks: what is meant
// for it alone crosses there as the bytes of a pipe would, in order and
// once each, whatever a server's failure redelivers (channel.go). A
// message id on every publish has the stream drop what a retried publish
// stored twice.
//
// Start starts a worker process on this machine (Config.Local), or waits
// for one that joins from elsewhere: a program that calls worker.Main,
// imports this package and is run as `worker -nats URL` (JoinEnv). A
// worker joins by a request that carries its Hello; the coordinator's
// answer carries the Welcome and the worker's subjects (join.go). Workers
// and coordinator beat on core NATS subjects, so each learns when the
// other is gone: a worker that stops beating has ended, and is replaced;
// a worker whose coordinator stops beating exits.
//
// Security (docs/SECURITY.md): a token, taken from BRINE_NATS_TOKEN and
// never from a flag, and TLS files, passed to the embedded server and to
// every client.
package nats
