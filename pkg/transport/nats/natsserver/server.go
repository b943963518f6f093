// Package natsserver embeds a NATS server with JetStream for the nats
// transport (pkg/transport/nats), so that a coordinator needs nothing
// installed. It is a package of its own so that what imports the
// transport, a worker program above all, does not link the server.
package natsserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config configures an embedded server. The zero value listens on a
// random loopback port and asks no token.
type Config struct {
	// Listen is the HOST:PORT to listen on; default 127.0.0.1 on a random
	// port. Port 0 picks one.
	Listen string
	// Token, when set, is required of every client.
	Token string
	// TLSCert and TLSKey, when set, make the server speak TLS only, with
	// this certificate; TLSCA, when set too, makes it verify that clients
	// present a certificate that CA signed.
	TLSCert, TLSKey, TLSCA string
}

// Server is a running embedded server.
type Server struct {
	s   *server.Server
	dir string
}

// readyWithin bounds the server's start.
const readyWithin = 10 * time.Second

// Start starts a server with JetStream on. Its store directory, in
// TMPDIR, is removed as soon as the server has started: the transport
// keeps its streams in memory, and a coordinator killed outright leaves
// no file behind. On failure nothing is left running.
func Start(cfg Config) (*Server, error) {
	opts, err := options(cfg)
	if err != nil {
		return nil, err
	}
	if opts.StoreDir, err = os.MkdirTemp("", "brine-nats-"); err != nil {
		return nil, fmt.Errorf("natsserver: a store directory: %w", err)
	}
	srv := &Server{dir: opts.StoreDir}
	defer srv.removeDir()
	if srv.s, err = server.NewServer(opts); err != nil {
		return nil, fmt.Errorf("natsserver: %w", err)
	}
	srv.s.Start()
	if !srv.s.ReadyForConnections(readyWithin) {
		srv.Close()
		return nil, fmt.Errorf("natsserver: not ready to listen on %s:%d within %v", opts.Host, opts.Port, readyWithin)
	}
	return srv, nil
}

func options(cfg Config) (*server.Options, error) {
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		NoLog: true, NoSigs: true, Authorization: cfg.Token, ServerName: "brine-" + strconv.Itoa(os.Getpid())}
	if cfg.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("natsserver: listen address %q: %w: want HOST:PORT", cfg.Listen, err)
		}
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("natsserver: listen port %q: want a number", port)
		}
		if opts.Port == 0 {
			opts.Port = server.RANDOM_PORT
		}
		opts.Host = host
	}
	switch {
	case cfg.TLSCert != "" && cfg.TLSKey != "":
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey,
			CaFile: cfg.TLSCA, Verify: cfg.TLSCA != ""})
		if err != nil {
			return nil, fmt.Errorf("natsserver: TLS: %w", err)
		}
		opts.TLSConfig, opts.TLS, opts.TLSVerify = tc, true, cfg.TLSCA != ""
	case cfg.TLSCert != "" || cfg.TLSKey != "":
		return nil, errors.New("natsserver: TLS needs both a certificate and its key")
	}
	return opts, nil
}

// ClientURL returns the URL clients connect to: nats://HOST:PORT, or
// tls://HOST:PORT with TLS.
func (s *Server) ClientURL() string { return s.s.ClientURL() }

// InProcessConn returns a connection to the server within this process,
// through no socket: a client given nats.InProcessServer(s) connects
// through it (see the nats transport's Config.Server).
func (s *Server) InProcessConn() (net.Conn, error) { return s.s.InProcessConn() }

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.s.Addr() }

// Close shuts the server down, waits for it, and removes its store. It is
// idempotent.
func (s *Server) Close() error {
	s.s.Shutdown()
	s.s.WaitForShutdown()
	return s.removeDir()
}

func (s *Server) removeDir() error {
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("natsserver: removing the store: %w", err)
	}
	return nil
}
