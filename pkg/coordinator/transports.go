//go:build !lean

package coordinator

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/brinehq/brine/pkg/transport"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
	"github.com/brinehq/brine/pkg/transport/plugin"
)

// pluginTransport returns the transport of a pool whose workers run
// command as hashicorp/go-plugin plugins.
func pluginTransport(command []string) (transport.Transport, error) {
	return plugin.New(plugin.Config{Command: command})
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
