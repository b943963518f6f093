// Mode rtt: round trip of a small message through a child that echoes it.

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

const rttWarmup = 2000 // round trips before timing, so both sides are paged in and scheduled

type rttResult struct {
	Bench    string  `json:"bench"`
	Size     int     `json:"size"`
	ParentIO string  `json:"parent_io"`
	N        int     `json:"n"`
	MedianNs int64   `json:"median_ns"`
	P99Ns    int64   `json:"p99_ns"`
	MinNs    int64   `json:"min_ns"`
	MeanNs   int64   `json:"mean_ns"`
	Secs     float64 `json:"secs"`
	hostLoad
}

func rttFlags(fs *flag.FlagSet, c *config) {
	sizeFlag(fs, &c.size, "size", 64, 64<<20, "message `size` in bytes")
	intFlag(fs, &c.n, "n", 200000, 50_000_000, "the `count` of timed round trips")
	blockingFlag(fs, c)
}

func blockingFlag(fs *flag.FlagSet, c *config) {
	fs.BoolVar(&c.blocking, "blocking", false,
		"parent uses blocking reads and writes instead of Go's netpoller (os.Pipe's default)")
}

// parentIO names the parent's I/O style in the JSON line.
func parentIO(c *config) string {
	if c.blocking {
		return "blocking"
	}
	return "poll"
}

func runRTT(ctx context.Context, l launcher, c *config) (any, error) {
	k, err := l.start(ctx, c, 0)
	if err != nil {
		return nil, err
	}
	defer k.stop()
	buf := make([]byte, c.size)
	for range rttWarmup {
		if err := roundTrip(k, buf); err != nil {
			return nil, err
		}
	}
	samples := make([]float64, c.n)
	begin := time.Now()
	for i := range samples {
		t := time.Now()
		if err := roundTrip(k, buf); err != nil {
			return nil, err
		}
		samples[i] = float64(time.Since(t))
	}
	secs := time.Since(begin).Seconds()
	if err := k.stop(); err != nil {
		return nil, err
	}
	s := summarize(samples)
	return rttResult{"pipe_rtt", c.size, parentIO(c), c.n, int64(s.med), int64(s.p99), int64(s.min),
		int64(s.mean), round(secs, 3), readHostLoad()}, nil
}

func roundTrip(k *child, buf []byte) error {
	if _, err := k.in.Write(buf); err != nil {
		return fmt.Errorf("write to child: %w", err)
	}
	if _, err := io.ReadFull(k.out, buf); err != nil {
		return fmt.Errorf("read echo: %w", err)
	}
	return nil
}

func childRTT(c *config, _ int) error {
	in, out := childFiles()
	buf := make([]byte, c.size)
	for {
		if _, err := io.ReadFull(in, buf); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if _, err := out.Write(buf); err != nil {
			return err
		}
	}
}
