package nats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/transporttest"
)

// cluster is three nodes of a JetStream cluster on loopback, each the
// test binary run as a server (serveNode).
type cluster struct {
	urls  []string
	nodes map[string]*exec.Cmd // by server name
}

// startCluster starts a cluster that the test stops, its stores in
// directories the test removes.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ports := freePorts(t, 6)
	c := &cluster{nodes: map[string]*exec.Cmd{}}
	for i := range 3 {
		spec := serverSpec{Name: fmt.Sprintf("n%d", i+1), Port: ports[i], ClusterPort: ports[3+i], Dir: transporttest.ShortTempDir(t)}
		for j := range 3 {
			if j != i {
				spec.Routes = append(spec.Routes, ports[3+j])
			}
		}
		b, _ := json.Marshal(spec)
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), envServer+"="+string(b), quickExit)
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		})
		c.nodes[spec.Name] = cmd
		c.urls = append(c.urls, fmt.Sprintf("nats://127.0.0.1:%d", spec.Port))
	}
	c.waitReady(t)
	return c
}

// waitReady waits until the cluster can place a stream on its three
// nodes: its JetStream leader is elected and knows every peer.
func (c *cluster) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		nc, err := nats.Connect(strings.Join(c.urls, ","))
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "READY", Subjects: []string{"ready"},
				Storage: jetstream.MemoryStorage, Replicas: 3})
			if err == nil {
				err = js.DeleteStream(ctx, "READY")
			}
			cancel()
			nc.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster's JetStream is not ready: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// leader returns the name of the node that leads the stream of the run
// whose name ends in suffix.
func (c *cluster) leader(t *testing.T, suffix string) string {
	t.Helper()
	nc, err := nats.Connect(strings.Join(c.urls, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		if strings.HasSuffix(name, suffix) {
			s, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			return s.CachedInfo().Cluster.Leader
		}
	}
	t.Fatalf("no stream named *%s", suffix)
	return ""
}

// A three-node cluster keeps the run's streams on every node: the leader
// of the stream of tasks SIGKILLed in the middle of the run, the others
// elect another, the publishes retried meanwhile land once, and every
// task completes, once.
func TestLeaderFailover(t *testing.T) {
	tmp := transporttest.ShortTempDir(t)
	c := startCluster(t)
	t.Setenv("TMPDIR", tmp)
	tr, err := natst.New(natst.Config{URLs: c.urls, Local: natst.AllLocal, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pool.New(bounded(t), pool.WithWorkers(2), pool.WithTransport(tr), pool.WithEnv(quickExit), pool.WithBatch(4))
	if err != nil {
		t.Fatal(err)
	}
	sleep := task.Bind(jobs.Sleep, 5)
	start := time.Now()
	rs := run(t, p, 300, func(i int) task.Call { return sleep.Call(int64(i)) }, func() {
		name := c.leader(t, "_in")
		t.Logf("killing %s, the leader of the stream of tasks", name)
		c.nodes[name].Process.Signal(syscall.SIGKILL)
	})
	pids := []int{}
	for _, w := range p.Workers() {
		pids = append(pids, w.PID)
	}
	again := 0
	for _, r := range rs {
		if r.Attempts > 1 {
			again++
		}
	}
	t.Logf("the run took %v; %d tasks were sent more than once", time.Since(start).Round(time.Millisecond), again)
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	for _, pid := range pids {
		if transporttest.Alive(pid) {
			t.Errorf("worker %d outlived its pool", pid)
		}
	}
	transporttest.CheckEmptyDir(t, tmp)
}
