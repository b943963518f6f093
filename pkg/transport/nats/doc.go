// Package nats is a transport (pkg/transport) over NATS JetStream, for
// workers on any machine that reaches a NATS server.
//
// New returns a Transport. With no URL it embeds a NATS server of its own
// (loopback, random port, JetStream on, streams in memory); with URLs it
// uses an existing server or cluster. Each run has two work-queue streams:
// one of frames to the workers and one of frames from them. Each worker is
// a member of the run with a subject in each stream and a durable pull
// consumer on each subject, with explicit acks: its frames cross as the
// bytes of a pipe would, several tasks a message as the pool batches them,
// in order and once each, whatever a server's failure redelivers
// (channel.go). A message id on every publish has the stream drop what a
// retried publish stored twice.
//
// Start starts a worker process on this machine (Config.Local), or waits
// for one that joins from elsewhere: a program that calls worker.Main,
// imports this package and is run as `worker -nats URL` (JoinEnv). A
// worker joins by a request that carries its Hello; the coordinator's
// answer carries the Welcome and the worker's subjects (join.go). Workers
// and coordinator beat on core NATS subjects, so each learns when the
// other is gone: a worker that stops beating has ended, and the pool sends
// its tasks again to the others, as it does when a worker process dies
// (at least once: the report counts each task's attempts). A worker whose
// coordinator stops beating exits.
//
// Security (docs/SECURITY.md): a token, taken from BRINE_NATS_TOKEN and
// never from a flag, and TLS files, passed to the embedded server and to
// every client.
package nats
