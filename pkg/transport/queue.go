package transport

import "context"

// A Queuer is a Transport whose workers can take their tasks from one
// queue they share, as a broker's consumers do, instead of each being sent
// its own: a worker takes the next frame of tasks when it has room, and a
// frame a worker took and did not finish (it died, or lost its server) is
// delivered again to another, by the broker, up to a bound. Delivery is
// then at least once: a task may run twice, and Origin says how many times
// its frame was delivered.
//
// The pool opens the queue once its workers have started, sends it the
// frames of tasks it would have sent them, and reads every worker's
// results from it; the workers' own channels then carry only what is
// meant for one worker (a Cancel, the end of its input).
type Queuer interface {
	Transport
	// Queue opens the shared queue of the workers this transport
	// started, for tasks as spec describes (spec.ID names its slot). The
	// Worker it returns is the queue: Send publishes frames of tasks (a
	// Cancel frame goes to every worker), Next returns the Results frames
	// of every worker, each once whatever the broker delivered twice,
	// with their Origin; CloseInput says no more tasks will come, after
	// which Next returns io.EOF once every task sent has its result;
	// Kill ends the queue and the workers that may hold its tasks, and
	// Terminate asks those workers to stop now. Hello is the first
	// worker's.
	Queue(ctx context.Context, spec QueueSpec) (Worker, error)
}

// QueueSpec is what a pool asks of a shared queue.
type QueueSpec struct {
	Spec
	// Deliveries is how many times a frame of tasks may be delivered to
	// workers before its unfinished tasks fail (with a result of kind
	// wire.KindWorkerDied that Origin marks as the queue's own).
	Deliveries int
}

// Origin says where the frame a queue's Next last returned comes from.
type Origin struct {
	Worker int // the id of the worker that sent it (Spec.ID)
	PID    int // its process id, where it has one on this machine, else 0
	// Delivered is how many times the frame of the tasks it answers was
	// delivered to a worker: more than 1 means they may have run before.
	Delivered int
	// Lost is set on a frame the queue made itself, for tasks that no
	// worker finished within QueueSpec.Deliveries: it says why, and the
	// frame's results are of kind wire.KindWorkerDied.
	Lost string
}

// A Sourced Worker, a queue's, tells where each frame it returns comes
// from.
type Sourced interface {
	// Origin describes the frame the last Next returned.
	Origin() Origin
}
