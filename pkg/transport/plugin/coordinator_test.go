package plugin_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport/plugin"
)

// runCoordinator is the test binary as a coordinator: it starts a pool of
// two workers over the transport, sets them running long tasks, prints
// their pids on a line, and waits to be killed.
func runCoordinator() int {
	tr, err := plugin.New(plugin.Config{Protocol: plugin.Protocol(os.Getenv(envProtocol))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, err := pool.New(context.Background(), pool.WithTransport(tr), pool.WithWorkers(2), pool.WithEnv(quickExit))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go pool.Map(context.Background(), p, task.Bind(jobs.Sleep, 60_000), make([]int64, 4)) // runs until the kill
	time.Sleep(100 * time.Millisecond)                                                    // the tasks have started
	var pids []string
	for _, w := range p.Workers() {
		pids = append(pids, strconv.Itoa(w.PID))
	}
	fmt.Println(strings.Join(pids, " "))
	time.Sleep(time.Hour)
	return 1
}

// A coordinator killed outright (SIGKILL) takes its plugin workers with it
// (Pdeathsig) and leaves no file in its TMPDIR.
func TestCoordinatorKilled(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	eachProtocol(t, func(t *testing.T, proto plugin.Protocol) {
		tmp := shortTempDir(t)
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), envRole+"=coordinator", envProtocol+"="+string(proto), "TMPDIR="+tmp, quickExit)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			t.Fatalf("no pids from the coordinator: %v", err)
		}
		var pids []int
		for _, f := range strings.Fields(line) {
			pid, _ := strconv.Atoi(f)
			if !alive(pid) {
				t.Fatalf("worker %s not running before the kill", f)
			}
			pids = append(pids, pid)
		}
		if len(pids) != 2 {
			t.Fatalf("pids %q, want two", line)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		time.Sleep(500 * time.Millisecond)
		for _, pid := range pids {
			if alive(pid) {
				t.Errorf("worker %d alive 0.5 s after its coordinator was killed", pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		checkEmpty(t, tmp)
	})
}
