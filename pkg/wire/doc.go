// Package wire implements the coordinator–worker protocol: length-prefixed
// msgpack frames carrying a handshake, batches of tasks, batches of results
// and an orderly shutdown. docs/PROTOCOL.md is its specification.
//
// Writers append whole frames to a byte slice (AppendHello, AppendTasks,
// AppendResults, ...) so one buffer serves many messages without allocation.
// A Reader returns one frame body at a time after checking its declared
// length against MaxFrame; Decode* functions then parse a body with a
// bounds-checked decoder that sizes nothing by a declared count, only by the
// bytes actually present, so hostile input (a 5-byte body declaring a
// 4-billion-element array) yields an error instead of an allocation.
package wire
