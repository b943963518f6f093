package jobs

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/brinehq/brine/pkg/task"
)

// Params are the parameters of a run of a built-in job.
type Params struct {
	Tasks int    // number of tasks; task ids are 0..Tasks-1
	Size  int64  // the job's size parameter (see each job's Doc)
	Seed  int64  // seeds every input that is not fixed by Size and the task id
	Fault string // the misbehaviour of the fault job
}

// Job is a built-in job: a function and how to build task i's call to it.
type Job struct {
	Name  string
	Doc   string // one line, for -help and errors
	Tasks int    // default number of tasks
	Size  int64  // default size
	// Calls returns the builder of task i's call, or an error for
	// parameters the job cannot run with.
	Calls func(p Params) (func(i int) task.Call, error)
}

var builtin = []*Job{
	{Name: "primes", Doc: "count the primes in [i·size, (i+1)·size); CPU-bound", Tasks: 100, Size: 100_000,
		Calls: func(p Params) (func(int) task.Call, error) {
			f := task.Bind(Primes, p.Size)
			return func(i int) task.Call { return f.Call(int64(i)) }, nil
		}},
	{Name: "sleep", Doc: "sleep size milliseconds; I/O-bound stand-in", Tasks: 40, Size: 20,
		Calls: func(p Params) (func(int) task.Call, error) {
			f := task.Bind(Sleep, p.Size)
			return func(i int) task.Call { return f.Call(int64(i)) }, nil
		}},
	{Name: "echo", Doc: "return a size-byte payload; pure overhead", Tasks: 100_000, Size: 64,
		Calls: func(p Params) (func(int) task.Call, error) {
			payload := make([]byte, p.Size)
			r := rand.New(rand.NewPCG(uint64(p.Seed), 0x62726e65))
			for i := range payload {
				payload[i] = byte(r.Uint32())
			}
			c := Echo.Call(payload) // every task's call is the same: make it once
			return func(int) task.Call { return c }, nil
		}},
	{Name: "hash", Doc: "size rounds of SHA-256 over a block seeded by seed and i; CPU-bound", Tasks: 1000, Size: 1000,
		Calls: func(p Params) (func(int) task.Call, error) {
			f := task.Bind(Hash, HashParams{Rounds: p.Size, Seed: p.Seed})
			return func(i int) task.Call { return f.Call(int64(i)) }, nil
		}},
	{Name: "fault", Doc: "misbehave (-fault " + strings.Join(FaultModes, "|") + ") on every size-th task", Tasks: 10, Size: 1,
		Calls: func(p Params) (func(int) task.Call, error) {
			if !slices.Contains(FaultModes, p.Fault) {
				return nil, fmt.Errorf("jobs: fault needs -fault with one of %s", strings.Join(FaultModes, ", "))
			}
			f := task.Bind(Fault, FaultSpec{Mode: p.Fault, Every: p.Size})
			return func(i int) task.Call { return f.Call(int64(i)) }, nil
		}},
}

// Lookup returns the built-in job called name. For an unknown name the
// error lists the known ones.
func Lookup(name string) (*Job, error) {
	for _, j := range builtin {
		if j.Name == name {
			return j, nil
		}
	}
	return nil, fmt.Errorf("unknown job %q: known jobs are %s", name, strings.Join(Names(), ", "))
}

// Names returns the names of the built-in jobs.
func Names() []string {
	names := make([]string, len(builtin))
	for i, j := range builtin {
		names[i] = j.Name
	}
	return names
}

// All returns the built-in jobs.
func All() []*Job { return slices.Clone(builtin) }
