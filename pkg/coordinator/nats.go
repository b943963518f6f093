package coordinator

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/brinehq/brine/pkg/transport"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
)

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
		"so that workers on other machines can join; beyond loopback it requires $"+natst.EnvToken)
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
	case n.listen != "" && !loopback(n.listen) && os.Getenv(natst.EnvToken) == "":
		return usagef("-nats-listen %s listens beyond loopback: set %s to a secret token (docs/SECURITY.md)", n.listen, natst.EnvToken)
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

// natsTransport returns the transport of a pool of local workers running
// command, and how many workers the pool has: those and the remote ones.
// With no -nats, it starts an embedded server, which the transport closes.
func (c *config) natsTransport(local int, command []string) (transport.Transport, int, error) {
	n := &c.nats
	cfg := natst.Config{Local: local, Command: command, TLSCert: n.tlsCert, TLSKey: n.tlsKey, TLSCA: n.tlsCA,
		Replicas: n.replicas, Liveness: n.liveness}
	give := n.urls
	if n.urls != "" {
		cfg.URLs = strings.Split(n.urls, ",")
	} else {
		srv, err := natsserver.Start(natsserver.Config{Listen: n.listen, Token: os.Getenv(natst.EnvToken),
			TLSCert: n.tlsCert, TLSKey: n.tlsKey, TLSCA: n.tlsCA})
		if err != nil {
			return nil, 0, err
		}
		cfg.URLs, cfg.Server = []string{srv.ClientURL()}, srv
		cfg.TLSCert, cfg.TLSKey = "", "" // the server's, not a client's
		give = reachable(srv.ClientURL(), srv.Addr())
	}
	tr, err := natst.New(cfg)
	if err != nil {
		return nil, 0, err
	}
	if n.remote > 0 {
		token := ""
		if os.Getenv(natst.EnvToken) != "" {
			token = " (with " + natst.EnvToken + " set to this run's token)"
		}
		fmt.Fprintf(n.stderr, "coordinator: waiting for %d worker(s) to join: on each machine, run\n    worker -nats %s%s\n", n.remote, give, token)
	}
	return tr, local + n.remote, nil
}

// reachable returns the URL other machines give to reach a server
// listening on addr: its host name in place of an address of every
// interface.
func reachable(url string, addr net.Addr) string {
	ta, ok := addr.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return url
	}
	host, err := os.Hostname()
	if err != nil {
		return url
	}
	scheme, _, _ := strings.Cut(url, "://")
	return fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(host, fmt.Sprint(ta.Port)))
}
