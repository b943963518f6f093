package coordinator

import (
	"flag"
	"io"
	"net"
	"os"
	"time"
)

// natsTokenEnv is the variable that holds the token of a NATS run
// (pkg/transport/nats.EnvToken; TestNATSTokenEnv checks they agree).
const natsTokenEnv = "BRINE_NATS_TOKEN"

// natsConfig holds the flags of -transport nats.
type natsConfig struct {
	urls     string // -nats: servers to use instead of an embedded one
	listen   string // -nats-listen: where the embedded server listens
	remote   int    // -remote: workers that join from elsewhere
	replicas int
	liveness time.Duration
	tlsCert  string
	tlsKey   string
	tlsCA    string
	stderr   io.Writer // where a coordinator that waits for workers says so
}

func (n *natsConfig) register(fs *flag.FlagSet, stderr io.Writer) {
	n.stderr = stderr
	fs.StringVar(&n.urls, "nats", "", "with -transport nats: use these NATS servers (`URL[,URL...]`) instead of an embedded one")
	fs.StringVar(&n.listen, "nats-listen", "", "with -transport nats: the embedded server listens on `HOST:PORT` (default: loopback, a random port),\n"+
		"so that workers on other machines can join; beyond loopback it requires $"+natsTokenEnv)
	fs.IntVar(&n.remote, "remote", 0, "with -transport nats: also wait for `N` workers that join from elsewhere (worker -nats URL);\n"+
		"with -workers 0, default 1")
	fs.IntVar(&n.replicas, "nats-replicas", 1, "with -transport nats: servers that keep each message of the run (3 on a cluster survives the loss of one)")
	fs.DurationVar(&n.liveness, "nats-liveness", 5*time.Second, "with -transport nats: how long a worker may go silent before its tasks are sent elsewhere")
	fs.StringVar(&n.tlsCert, "nats-tls-cert", "", "with -transport nats: TLS certificate (the embedded server's, else the client's)")
	fs.StringVar(&n.tlsKey, "nats-tls-key", "", "with -transport nats: the TLS certificate's key")
	fs.StringVar(&n.tlsCA, "nats-tls-ca", "", "with -transport nats: the CA that signed the servers' (and, for the embedded server, the clients') certificates")
}

// checkNATS refuses what -transport nats cannot run, and defaults -remote.
func (c *config) checkNATS(set func(string) bool) error {
	n := &c.nats
	if c.transport != "nats" {
		for _, f := range []string{"nats", "nats-listen", "remote", "nats-replicas", "nats-liveness", "nats-tls-cert", "nats-tls-key", "nats-tls-ca"} {
			if set(f) {
				return usagef("-%s applies only to -transport nats", f)
			}
		}
		return nil
	}
	if c.workers == 0 && !set("remote") {
		n.remote = 1
	}
	switch {
	case n.remote < 0:
		return usagef("-remote must not be negative")
	case c.workers+n.remote < 1:
		return usagef("-workers %d -remote %d: a run needs a worker", c.workers, n.remote)
	case c.workers == 0 && (len(c.modes) != 1 || c.modes[0] != modeProcess):
		return usagef("-workers 0 runs only -mode process: the other modes run on this machine")
	case n.urls != "" && n.listen != "":
		return usagef("-nats-listen is for the embedded server; -nats uses servers of its own")
	case n.listen != "" && !loopback(n.listen) && os.Getenv(natsTokenEnv) == "":
		return usagef("-nats-listen %s listens beyond loopback: set %s to a secret token (docs/SECURITY.md)", n.listen, natsTokenEnv)
	}
	return nil
}

// loopback reports whether HOST:PORT names a loopback address.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
