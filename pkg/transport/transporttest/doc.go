// Package transporttest is the conformance suite of brine's transports: a
// transport is done when Run passes on it, faults included, as an fs.FS is
// checked by testing/fstest.TestFS.
//
// The suite runs pools over the transport under test and checks what the
// pool promises whatever carries its frames: the same results as thread
// mode, nothing lost when workers are killed or break the protocol, task
// timeouts, cancellation that reaches the tasks workers hold, recycling,
// no process left behind after Close or after the coordinator itself is
// killed or interrupted (SIGINT: exit 130, without waiting out the grace
// period), and no file left in TMPDIR. Workers are the
// test binary itself, re-executed (go-plugin's helper-process pattern):
//
//	func TestMain(m *testing.M) { transporttest.Main(m, newTransport) }
//
//	func TestConformance(t *testing.T) { transporttest.Run(t, newTransport) }
package transporttest
