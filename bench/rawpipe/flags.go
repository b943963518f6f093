// Flags with bounds and binary size suffixes, shared by every mode.

package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// time so no mode allocates from an absurd count. It accepts KiB, MiB and GiB
// suffixes because sizes are easier to read that way.
type countFlag struct {
	p     *int
	max   int
	bytes bool // print the default with a binary suffix
}

// intFlag defines a count; name the value in usage with backquotes.
func intFlag(fs *flag.FlagSet, p *int, name string, def, max int, usage string) {
	*p = def
	fs.Var(countFlag{p: p, max: max}, name, usage)
}

// sizeFlag defines a byte count.
func sizeFlag(fs *flag.FlagSet, p *int, name string, def, max int, usage string) {
	*p = def
	fs.Var(countFlag{p: p, max: max, bytes: true}, name, usage)
}

var units = []struct {
	suffix string
	mult   int
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}

func (f countFlag) String() string {
	if f.p == nil {
		return "0"
	}
	return f.format(*f.p)
}

func (f countFlag) format(v int) string {
	for _, u := range units {
		if f.bytes && v >= u.mult && v%u.mult == 0 {
			return strconv.Itoa(v/u.mult) + u.suffix
		}
	}
	return strconv.Itoa(v)
}

func (f countFlag) Set(s string) error {
	mult := 1
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not an integer (KiB, MiB, GiB suffixes allowed)")
	}
	if v < 1 || v > int64(f.max/mult) {
		return fmt.Errorf("out of range [1, %s]", f.format(f.max))
	}
	*f.p = int(v) * mult
	return nil
}
