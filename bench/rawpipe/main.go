// Command rawpipe measures the raw limits that brine's process backend is
// compared against: pipe round trip, pipe throughput, process spawn to first
// byte, and futex wake-all between processes.
//
// It re-executes itself as the child, connected the way brine's workers are:
// the child reads fd 3 and writes fd 4 (os/exec ExtraFiles pipes). Each mode
// prints one JSON line on stdout; children never write to stdout.
//
//	rawpipe rtt        [-size 64] [-n 200000] [-blocking]
//	rawpipe throughput [-write 64KiB] [-bytes 2GiB] [-blocking]
//	rawpipe spawn      [-n 2] [-reps 20]
//	rawpipe futex      [-n 2] [-rounds 200]
//
// go run works (children re-execute the temporary binary), but building once
// (go build -o bin/rawpipe ./bench/rawpipe) saves a compile per mode.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// childEnv marks a re-executed child and carries its index; the child parses
// the same mode and flags as its parent, so both agree on sizes and counts.
const childEnv = "RAWPIPE_CHILD"

// config holds every mode's flags; a mode registers only the ones it uses.
type config struct {
	args   []string // mode and flags as given, passed on to children
	size   int      // rtt: message size
	n      int      // rtt: round trips; spawn, futex: children
	write  int      // throughput: bytes per write
	bytes  int      // throughput: bytes per measured transfer
	reps   int      // spawn: repetitions
	rounds int      // futex: wake rounds
	// rtt, throughput: parent does blocking I/O instead of Go's poller.
	blocking bool
}

type mode struct {
	name, summary string
	flags         func(fs *flag.FlagSet, c *config)
	parent        func(ctx context.Context, l launcher, c *config) (any, error)
	child         func(c *config, index int) error
}

var modes = []mode{
	{"rtt", "round trip of a -size byte message, child echoes (pipe_rtt)", rttFlags, runRTT, childRTT},
	{"throughput", "one-way transfer in -write byte writes, child acks (pipe_throughput)", throughputFlags, runThroughput, childThroughput},
	{"spawn", "start -n children until each has written its first byte (spawn_first_byte)", spawnFlags, runSpawn, childSpawn},
	{"futex", "FUTEX_WAKE of -n children blocked on a memfd-shared word (futex_wake)", futexFlags, runFutex, childFutex},
}

func usage(w io.Writer) {
	fmt.Fprint(w, "usage: rawpipe MODE [flags]\n\n"+
		"Measures raw inter-process limits against re-executed copies of itself\n"+
		"connected by os/exec pipes on fds 3 and 4, and prints one JSON line.\n\nmodes:\n")
	for _, m := range modes {
		fmt.Fprintf(w, "  %-11s %s\n", m.name, m.summary)
	}
	fmt.Fprint(w, "\nRun 'rawpipe MODE -h' for a mode's flags.\n")
}

// run returns the process exit code: 0 success, 1 measurement failure, 2 usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	i := slices.IndexFunc(modes, func(m mode) bool { return m.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "rawpipe: unknown mode %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	m := modes[i]
	c := &config{args: args}
	if code, ok := parseFlags(m, c, args[1:], stderr); !ok {
		return code
	}
	if idx, isChild := os.LookupEnv(childEnv); isChild {
		return runChild(m, c, idx, stderr)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "rawpipe: cannot re-execute myself: %v\n", err)
		return 1
	}
	res, err := m.parent(ctx, launcher{exe: exe, stderr: stderr}, c)
	if err != nil && ctx.Err() != nil {
		// The children were killed, so err is usually just their EOF.
		err = fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if err != nil {
		fmt.Fprintf(stderr, "rawpipe %s: %v\n", m.name, err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintf(stderr, "rawpipe %s: %v\n", m.name, err)
		return 1
	}
	return 0
}

// parseFlags reports ok=false with the exit code to return when the command
// line is not runnable (-h is 0, anything else 2).
func parseFlags(m mode, c *config, args []string, stderr io.Writer) (code int, ok bool) {
	fs := flag.NewFlagSet("rawpipe "+m.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	m.flags(fs, c)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: rawpipe %s [flags]\n\n%s\n\nflags:\n", m.name, m.summary)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rawpipe %s: unexpected argument %q\n", m.name, fs.Arg(0))
		fs.Usage()
		return 2, false
	}
	return 0, true
}

func runChild(m mode, c *config, idx string, stderr io.Writer) int {
	index, err := strconv.Atoi(idx)
	if err != nil {
		fmt.Fprintf(stderr, "rawpipe child: bad %s=%q\n", childEnv, idx)
		return 2
	}
	if err := m.child(c, index); err != nil {
		fmt.Fprintf(stderr, "rawpipe %s child %d: %v\n", m.name, index, err)
		return 1
	}
	return 0
}

// countFlag is a positive integer flag with an upper bound, checked at parse
