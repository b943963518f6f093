package coordinator_test

import (
	"net"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() { scriptCmds["freeport"] = cmdFreePort }

// freeport VAR: sets VAR to a TCP port free on loopback, for a server the
// script starts and its clients.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}
