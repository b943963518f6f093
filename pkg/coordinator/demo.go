package coordinator

import (
	"context"
	"io"
	"sort"
	"strings"
)

// demos are the demonstrations of `coordinator demo NAME`.
var demos = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	names := make([]string, 0, len(demos))
	for n := range demos {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 {
		return usagef("demo needs a name: %s", strings.Join(names, ", "))
	}
	d, ok := demos[args[0]]
	if !ok {
		return usagef("unknown demo %q: known demos are %s", args[0], strings.Join(names, ", "))
	}
	return d(ctx, args[1:], stdout, stderr)
}
