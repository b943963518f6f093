// Package lane moves large payloads between a coordinator and one of its
// workers through shared memory, beside the protocol's pipes
// (docs/PROTOCOL.md §5.1).
//
// A Pair is one anonymous memory file (memfd_create) holding two rings: the
// down ring, which the coordinator writes and the worker reads, and the up
// ring, the reverse. The coordinator creates it with New and hands File to
// the worker through exec.Cmd.ExtraFiles; the worker maps it with Open. A
// payload placed in a ring travels as a Ref, its position and length, in an
// ordinary frame: the bytes cross once, by a copy into the ring, instead of
// twice through a pipe and the kernel's buffers.
//
// Each ring has one Writer and one Reader. The writer places payloads one
// after another (Reserve, Commit); the reader reads them in the same order
// (Slice) and, when done with them, releases the space up to a position
// (Release), the only state the two share. A writer never waits for room:
// when a payload does not fit, Reserve says so and the caller sends the
// payload in its frame as it would without a lane. So a reader that stops
// releasing, or lies about what it released, slows only its own traffic.
//
// A Reader checks every Ref against the ring's bounds before it returns
// bytes, and the file is sealed against resizing, so a misbehaving peer
// cannot make the other read outside the mapping.
package lane

// MinPayload is the smallest payload worth a lane: smaller ones travel in
// their frames, batched with others, at no cost of their own.
const MinPayload = 64 << 10

// Estimate is the room to reserve for a payload encoded in place whose
// size is known only from the last one, n bytes: a little more, so that
// one slightly larger still fits.
func Estimate(n int) int { return n + n/8 }
