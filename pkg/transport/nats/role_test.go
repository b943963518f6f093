package nats_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// envServer holds, as JSON, the serverSpec of the test binary run as one
// node of a NATS cluster.
const envServer = "BRINE_NATS_TEST_SERVER"

// serverSpec is a cluster node's configuration.
type serverSpec struct {
	Name        string
	Port        int
	ClusterPort int
	Routes      []int // the other nodes' cluster ports
	Dir         string
}

// runRole runs the role the test binary was started in, if any, and
// exits; otherwise it returns.
func runRole() {
	if spec := os.Getenv(envServer); spec != "" {
		os.Exit(serveNode(spec))
	}
}

// serveNode runs a node of a JetStream cluster on loopback until SIGTERM.
func serveNode(specJSON string) int {
	var spec serverSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var routes string
	for i, p := range spec.Routes {
		if i > 0 {
			routes += ","
		}
		routes += fmt.Sprintf("nats-route://127.0.0.1:%d", p)
	}
	opts := &server.Options{ServerName: spec.Name, Host: "127.0.0.1", Port: spec.Port, JetStream: true,
		StoreDir: spec.Dir, NoLog: true, NoSigs: true,
		Cluster: server.ClusterOpts{Name: "brine-test", Host: "127.0.0.1", Port: spec.ClusterPort},
		Routes:  server.RoutesFromStr(routes)}
	s, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		fmt.Fprintln(os.Stderr, "node not ready")
		return 1
	}
	<-term
	s.Shutdown()
	s.WaitForShutdown()
	return 0
}
