// Command wordfreq counts the words of the text files under a directory,
// map-reduce style: worker processes count one file each (map), and the
// program merges their counts (reduce).
//
//	go run ./examples/wordfreq [-workers n] [-top n] [-ext .txt] [-mode process|thread] [-pids] DIR
//
// It is its own worker: the pool re-runs this very executable, which serves
// the registered functions because main calls worker.Main under
// worker.IsWorker before anything else. No second binary is built.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"unicode"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/worker"
)

// FileCount is what a worker returns for one file.
type FileCount struct {
	Words map[string]int // occurrences of each word, lower-cased
	PID   int            // the process that counted them
}

// countFile is registered in a package variable, so that the worker
// processes, which run this same binary, have it under the same name.
var countFile = task.Register("wordfreq.count", func(_ context.Context, path string) (FileCount, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return FileCount{}, err
	}
	return FileCount{Words: countWords(string(text)), PID: os.Getpid()}, nil
})

// countWords counts the words of text: runs of letters and digits, with
// apostrophes inside a word ("don't") kept.
func countWords(text string) map[string]int {
	words := map[string]int{}
	notWord := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' }
	for _, w := range strings.FieldsFunc(strings.ToLower(text), notWord) {
		if w = strings.Trim(w, "'"); w != "" {
			words[w]++
		}
	}
	return words
}

func main() {
	if worker.IsWorker() { // started by the pool below: serve countFile
		os.Exit(worker.Main())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "wordfreq:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("wordfreq", flag.ContinueOnError)
	fl.SetOutput(stderr)
	workers := fl.Int("workers", runtime.NumCPU(), "number of worker processes")
	top := fl.Int("top", 10, "print the `n` most frequent words; 0 prints them all")
	ext := fl.String("ext", ".txt", "count the files with this extension; empty counts every file")
	mode := fl.String("mode", "process", "where to count: process or thread")
	pids := fl.Bool("pids", false, "print which processes counted how many files")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: wordfreq [flags] DIR")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return errors.New("want one directory")
	}
	files, err := listFiles(fl.Arg(0), *ext)
	if err != nil {
		return err
	}
	opts := []pool.Option{pool.WithWorkers(*workers)}
	switch *mode {
	case "process":
	case "thread":
		opts = append(opts, pool.WithMode(pool.Thread))
	default:
		return fmt.Errorf("-mode %q: want process or thread", *mode)
	}
	p, err := pool.New(ctx, opts...)
	if err != nil {
		return err
	}
	defer p.Close()

	counts, err := pool.Map(ctx, p, countFile, files) // map: a file per task
	if err != nil {
		return err
	}
	total := map[string]int{} // reduce
	byPID := map[int]int{}
	for _, c := range counts {
		for w, n := range c.Words {
			total[w] += n
		}
		byPID[c.PID]++
	}
	report(stdout, len(files), total, *top)
	if *pids {
		// Every worker of the pool is listed, one that counted no files
		// too: which worker takes which file is up to scheduling.
		for _, w := range p.Workers() {
			if _, ok := byPID[w.PID]; !ok {
				byPID[w.PID] = 0
			}
		}
		fmt.Fprintf(stdout, "coordinator pid %d\n", os.Getpid())
		for _, pid := range slices.Sorted(maps.Keys(byPID)) {
			fmt.Fprintf(stdout, "worker pid %d: %d files\n", pid, byPID[pid])
		}
	}
	return p.Close()
}

// listFiles returns the regular files under dir whose names end in ext.
func listFiles(dir, ext string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasSuffix(path, ext) {
			files = append(files, path)
		}
		return err
	})
	return files, err
}

// report prints the totals and the top most frequent words, most frequent
// first, ties in alphabetical order.
func report(w io.Writer, files int, total map[string]int, top int) {
	words := slices.SortedFunc(maps.Keys(total), func(a, b string) int {
		return cmp.Or(cmp.Compare(total[b], total[a]), strings.Compare(a, b))
	})
	sum := 0
	for _, n := range total {
		sum += n
	}
	fmt.Fprintf(w, "%d files, %d words, %d distinct\n", files, sum, len(words))
	if top > 0 && top < len(words) {
		words = words[:top]
	}
	for _, word := range words {
		fmt.Fprintf(w, "%7d %s\n", total[word], word)
	}
}
