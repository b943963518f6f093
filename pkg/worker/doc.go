// Package worker is the worker side of the protocol: the handshake, the task
// loop that runs registered functions, and the entry points a binary uses to
// become a worker.
//
// A dedicated worker binary calls Main from its main function. A program
// that is its own worker (self-exec) calls Main first thing in main, guarded
// by IsWorker:
//
//	func main() {
//		if worker.IsWorker() {
//			os.Exit(worker.Main())
//		}
//		// ... the program, which starts a pool of itself
//	}
//
// Workers read frames on fd 3 and write frames on fd 4 (docs/PROTOCOL.md), so
// a task that prints to stdout or stderr cannot corrupt the protocol: those
// streams are relayed to the coordinator's log.
//
// A worker answers every task it received before it exits at the end of
// its input, and exits at once, even in the middle of a task, when its
// coordinator dies (Main watches fd 4 for that).
package worker
