package pipe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A SIGKILL the pool did not send is explained by the cgroup's OOM kill
// count: risen, unchanged, or unknown.
func TestOOMExplain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "memory.events")
	write := func(n string) {
		if err := os.WriteFile(path, []byte("low 0\nhigh 0\nmax 2\noom 1\noom_kill "+n+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("3")
	c := oomCounter{path: path}
	before := c.count()
	if before != 3 {
		t.Fatalf("count %d, want 3", before)
	}
	if got := c.explain(before); !strings.Contains(got, "not by the OOM killer") {
		t.Errorf("unchanged count: %q", got)
	}
	write("4")
	if got := c.explain(before); !strings.Contains(got, "suspected out of memory") || !strings.Contains(got, path) {
		t.Errorf("risen count: %q", got)
	}
	var none oomCounter
	if got := none.explain(none.count()); got != "killed by SIGKILL, not by brine: out of memory?" {
		t.Errorf("no counter: %q", got)
	}
}
