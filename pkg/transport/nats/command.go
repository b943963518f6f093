package nats

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// JoinCommand is the worker command's main when it has arguments:
// `worker -nats URL[,URL...] [-tls-cert FILE -tls-key FILE] [-tls-ca FILE]`
// joins a run through those servers (JoinMain) and returns its exit
// status; a wrong command line is reported to stderr, status 2.
func JoinCommand(args []string, stderr io.Writer, opts ...worker.Option) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: worker -nats URL[,URL...] [-tls-cert FILE -tls-key FILE] [-tls-ca FILE]\n"+
			"joins a coordinator's run through NATS; the token, if the server wants one, comes from $%s.\n"+
			"Without arguments, the worker serves a coordinator that started it (docs/PROTOCOL.md).\n", EnvToken)
		fs.PrintDefaults()
	}
	urls := fs.String("nats", "", "the NATS servers of the run, comma-separated")
	cert := fs.String("tls-cert", "", "client certificate, for a server that verifies clients")
	key := fs.String("tls-key", "", "the client certificate's key")
	ca := fs.String("tls-ca", "", "the CA that signed the server's certificate")
	if err := fs.Parse(args); err != nil {
		return wire.ExitUsage
	}
	if *urls == "" || fs.NArg() > 0 {
		fs.Usage()
		return wire.ExitUsage
	}
	return JoinMain(strings.Split(*urls, ","), *cert, *key, *ca, opts...)
}
