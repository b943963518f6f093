package wire_test

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/wire"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.frame and the FuzzDecode seed corpus")

// goldens are the messages whose frames docs/PROTOCOL.md §10 shows in hex.
// Changing one changes the protocol's examples: update both together.
var goldens = []struct {
	name string
	msg  any
}{
	{"hello", wire.Hello{Version: 1, PID: 4242, Funcs: []string{"echo", "primes"}}},
	{"hello-features", wire.Hello{Version: 1, PID: 4242, Funcs: []string{"echo"}, Features: []string{wire.FeatureCalls}}},
	{"welcome", wire.Welcome{Version: 1, Worker: 2}},
	{"tasks", tasks{
		// primes(10000, 0): bound [10000], args [0]
		{ID: 1, Func: "primes", Bound: []byte{0x91, 0xcd, 0x27, 0x10}, Args: []byte{0x91, 0x00}},
		// echo("hi" as bin): no bound arguments
		{ID: 2, Func: "echo", Args: []byte{0x91, 0xc4, 0x02, 'h', 'i'}},
	}},
	{"results", results{
		{ID: 1, Value: []byte{0xcd, 0x04, 0xcd}, Nanos: 81234}, // 1229 primes
		{ID: 2, Err: &wire.Error{Kind: wire.KindPanic, Message: "boom", Stack: "main.f()"}, Nanos: 1500},
	}},
	{"shutdown", shutdown{}},
	// primes(10000, i) for i = 0, 1, 2 as tasks 7, 8 and 9
	{"calls", wire.Calls{First: 7, Func: "primes", Bound: []byte{0x91, 0xcd, 0x27, 0x10},
		Args: [][]byte{{0x91, 0x00}, {0x91, 0x01}, {0x91, 0x02}}}},
	// echo of 64 KiB: its arguments, [bin32 of 65536 bytes], in the down
	// lane at its start; its value, the bin32, in the up lane.
	{"tasks-lane", tasks{{ID: 3, Func: "echo", Lane: wire.Ref{Pos: 0, Len: 65542}}}},
	{"results-lane", results{{ID: 3, Lane: wire.Ref{Pos: 0, Len: 65541}, Nanos: 52000}}},
}

func goldenPath(name string) string { return filepath.Join("testdata", "golden", name+".frame") }

// TestGolden compares the frames we encode today with the committed ones,
// byte for byte, and decodes the committed ones back to their messages.
func TestGolden(t *testing.T) {
	for _, g := range goldens {
		frame := appendMsg(t, nil, g.msg)
		path := goldenPath(g.name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, frame, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
		}
		if !bytes.Equal(frame, want) {
			t.Errorf("%s: the encoding changed; if on purpose, run go test -update and update docs/PROTOCOL.md\n got:\n%s want:\n%s",
				g.name, hex.Dump(frame), hex.Dump(want))
		}
		got, err := decodeMsg(body(t, want))
		if err != nil || !reflect.DeepEqual(got, g.msg) {
			t.Errorf("%s: the golden frame decodes to %+v, %v; want %+v", g.name, got, err, g.msg)
		}
	}
}

// fuzzSeeds are the committed inputs of FuzzDecode, by file name: the
// golden frames and bodies, and the hostile inputs of the other tests.
func fuzzSeeds(t *testing.T) map[string][]byte {
	seeds := map[string][]byte{}
	var all []byte
	for _, g := range goldens {
		frame := appendMsg(t, nil, g.msg)
		all = append(all, frame...)
		seeds["golden-"+g.name+"-frame"] = frame
		seeds["golden-"+g.name+"-body"] = frame[wire.HeaderSize:]
	}
	seeds["golden-all-frames"] = all
	for _, c := range hostileBodies {
		seeds["hostile-"+slug(c.name)] = c.body
	}
	seeds["reader-4gib-declared"] = frameOf(0xffffffff)
	seeds["reader-60mib-declared-10-sent"] = frameOf(60<<20, make([]byte, 10)...)
	seeds["reader-truncated-header"] = []byte{0, 0, 1}
	seeds["reader-empty-frame-then-shutdown"] = wire.AppendShutdown(frameOf(0))
	seeds["extra-elements-tasks"] = unhex("93 03 92 96 01 a1 66 c0 91 01 a3 6e 65 77 81 a1 78 92 01 c0 94 02 a1 67 91 07 c0 a5 65 78 74 72 61")
	// Before the fix, a result with both a value and an error decoded with
	// its value, which re-encoding drops: the round trip was unstable.
	seeds["regression-value-and-error"] = unhex("92 04 91 94 01 01 92 a1 6b a1 6d 00")
	// Found by FuzzDecode: a Hello with an empty features array decoded
	// to an empty slice, which re-encodes with no fifth element at all.
	seeds["regression-hello-empty-features"] = unhex("95 01 01 01 91 a1 66 90")
	seeds["extra-elements-results"] = unhex("92 04 93 95 01 05 c0 0a c3 94 02 c0 95 a1 6b a1 6d a1 73 a1 78 80 14 94 03 c0 92 a1 6b a1 6d 1e")
	return seeds
}

func slug(s string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, s), "-")
}

// TestFuzzCorpus keeps testdata/fuzz/FuzzDecode in step with the seeds
// above; -update rewrites them. Files the fuzzer added are left alone.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	for name, data := range fuzzSeeds(t) {
		path := filepath.Join(dir, name)
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != content {
			t.Errorf("seed %s is missing or stale (run go test -run TestFuzzCorpus -update): %v", name, err)
		}
	}
}
