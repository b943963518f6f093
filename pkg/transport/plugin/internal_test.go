package plugin

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/transport"
)

// Each go-plugin client gets a configuration of its own, without a
// SecureConfig (go-plugin v1.8.0 never resets its hash, so one shared by
// clients fails after the first) and with go-plugin's logger off.
func TestClientConfigs(t *testing.T) {
	tr, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	spec := transport.Spec{Logger: zerolog.Nop()}
	w1, w2 := &pluginWorker{t: tr, relay: &relay{}}, &pluginWorker{t: tr, relay: &relay{}}
	c1, c2 := tr.clientConfig(w1, spec, "d"), tr.clientConfig(w2, spec, "d")
	if c1 == c2 || c1.UnixSocketConfig == c2.UnixSocketConfig {
		t.Error("two clients share a configuration")
	}
	if c1.SecureConfig != nil {
		t.Error("a client has a SecureConfig")
	}
	if l := c1.Logger.Named("worker"); l.GetLevel() != hclog.Off {
		t.Errorf("go-plugin's logger at %v, want off", l.GetLevel())
	}
}

// A worker process has its own process group and dies with its parent.
func TestProcessAttributes(t *testing.T) {
	tr, err := New(Config{Command: []string{"/bin/true"}})
	if err != nil {
		t.Fatal(err)
	}
	w := &pluginWorker{t: tr, relay: &relay{}}
	p := newProcess(w)
	if err := p.prepare(exec.Command(""), transport.Spec{}); err != nil {
		t.Fatal(err)
	}
	defer closeAll(p.outR, p.errR, p.cmd.Stdout.(*os.File), p.cmd.Stderr.(*os.File))
	if a := p.cmd.SysProcAttr; a == nil || !a.Setpgid || a.Pdeathsig != syscall.SIGKILL {
		t.Errorf("SysProcAttr %+v, want Setpgid and Pdeathsig SIGKILL", a)
	}
	if env := strings.Join(p.cmd.Env, " "); !strings.Contains(env, "BRINE_WORKER=1") {
		t.Errorf("env %s lacks the worker marker", env)
	}
}

// Lines written in pieces are relayed whole; the first line of stdout goes
// to go-plugin only.
func TestRelay(t *testing.T) {
	var log strings.Builder
	rl := &relay{log: zerolog.New(&log), id: 4}
	rl.pid.Store(99)
	w := rl.writer("stdout")
	for _, piece := range []string{"he", "llo\nwor", "ld\n", `{"level":"warn","message":"m","k":1}`, "\n"} {
		w.Write([]byte(piece))
	}
	first := newFirstLine()
	rl.lines(strings.NewReader("1|1|unix|/s|netrpc|\nafter\n"), "stdout", first)
	got := make([]byte, 100)
	n, _ := first.Read(got)
	if string(got[:n]) != "1|1|unix|/s|netrpc|\n" {
		t.Errorf("go-plugin read %q", got[:n])
	}
	want := `{"level":"info","worker":4,"pid":99,"stream":"stdout","message":"hello"}
{"level":"info","worker":4,"pid":99,"stream":"stdout","message":"world"}
{"level":"warn","k":1,"worker":4,"pid":99,"message":"m"}
{"level":"info","worker":4,"pid":99,"stream":"stdout","message":"after"}
`
	if log.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", log.String(), want)
	}
}
