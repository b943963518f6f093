package nats

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Environment a worker of this transport reads (docs/SECURITY.md).
const (
	// EnvToken is the token of the NATS server, for the coordinator and
	// its workers alike: never a flag, which ps would show.
	EnvToken = "BRINE_NATS_TOKEN"
	// envURL holds the servers a worker joins through, comma-separated;
	// its presence has worker.Main serve through this transport.
	envURL = "BRINE_NATS_URL"
	// envLaunch is the key of the start that launched a worker on the
	// coordinator's machine; a worker that joins from elsewhere has none.
	envLaunch = "BRINE_NATS_LAUNCH"
	// TLS files of the clients.
	envTLSCert = "BRINE_NATS_TLS_CERT"
	envTLSKey  = "BRINE_NATS_TLS_KEY"
	envTLSCA   = "BRINE_NATS_TLS_CA"
)

// AllLocal is Config.Local for a pool whose workers are all started on
// this machine.
const AllLocal = -1

// Config configures a Transport.
type Config struct {
	// URLs are the NATS servers to use, any of one cluster. Required:
	// natsserver.Start gives one.
	URLs []string
	// Server, when not nil, is closed by Close, after the transport's
	// connection: the embedded server the transport was given. One that
	// also gives connections within the process (natsserver.Server, a
	// nats.InProcessConnProvider) carries the coordinator's own
	// connection; workers connect through URLs.
	Server io.Closer
	// Local is how many of the pool's workers, those of ids 0 to Local-1,
	// are processes Start runs on this machine; the others are workers
	// that join from elsewhere (worker -nats URL), which Start waits for.
	// AllLocal makes them all local.
	Local int
	// Command is the program of local workers and its arguments. Default:
	// this executable. It calls worker.Main under worker.IsWorker and
	// imports this package.
	Command []string
	// Token is the servers' token. Default: $BRINE_NATS_TOKEN.
	Token string
	// TLS files: a client certificate and key, and the CA that signed the
	// servers' certificates.
	TLSCert, TLSKey, TLSCA string
	// Replicas is how many servers keep each message of the run's streams:
	// 1 (the default), or 3 on a cluster, to survive a server's loss. The
	// streams are in memory with one replica, on disk with more.
	Replicas int
	// Liveness is how long a worker or the coordinator may go silent
	// before the other takes it for gone. Default: 5 s.
	Liveness time.Duration
	// AckWait is how long JetStream waits for a worker's ack of a message
	// of the shared queue's tasks before it delivers the message again;
	// a worker running its tasks says, a third of AckWait apart, that it
	// is working on them. Default: Liveness.
	AckWait time.Duration
	// RetryFor bounds how long a publish is retried while a stream has no
	// leader. Default: 1 min.
	RetryFor time.Duration
}

func (c *Config) fill() error {
	if len(c.URLs) == 0 {
		return errors.New("nats: no server URL: start one (natsserver.Start) or give one")
	}
	if len(c.Command) == 0 {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("nats: finding this executable to run as a worker: %w", err)
		}
		c.Command = []string{self}
	}
	if c.Token == "" {
		c.Token = os.Getenv(EnvToken)
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Liveness <= 0 {
		c.Liveness = 5 * time.Second
	}
	if c.AckWait <= 0 {
		c.AckWait = c.Liveness
	}
	if c.RetryFor <= 0 {
		c.RetryFor = time.Minute
	}
	return nil
}

// beatEvery is how often a side beats: often enough that a few lost beats
// do not make it look gone.
func beatEvery(liveness time.Duration) time.Duration { return liveness / 5 }

// clientOptions are the options of a connection, coordinator's or
// worker's, named name.
func clientOptions(name, token, cert, key, ca string) []nats.Option {
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.Timeout(callTimeout), nats.RetryOnFailedConnect(false),
		// The errors of subscriptions whose server went away: the beats
		// and the consumers' own errors say what matters.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})}
	if token != "" {
		opts = append(opts, nats.Token(token))
	}
	if cert != "" || key != "" {
		opts = append(opts, nats.ClientCert(cert, key))
	}
	if ca != "" {
		opts = append(opts, nats.RootCAs(ca))
	}
	if cert != "" || ca != "" {
		opts = append(opts, nats.Secure(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	return opts
}

// connect connects to urls, saying what to do when the server refuses.
func connect(urls []string, opts []nats.Option) (*nats.Conn, error) {
	nc, err := nats.Connect(strings.Join(urls, ","), opts...)
	switch {
	case errors.Is(err, nats.ErrAuthorization):
		return nil, fmt.Errorf("nats: %s refused the connection (%w): set %s to the token the coordinator's server requires", strings.Join(urls, ","), err, EnvToken)
	case err != nil:
		return nil, fmt.Errorf("nats: connecting to %s: %w", strings.Join(urls, ","), err)
	}
	return nc, nil
}
