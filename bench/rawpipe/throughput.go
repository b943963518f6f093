// Mode throughput: one-way transfer through a pipe in fixed-size writes.

package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"time"
)

// throughputWarmup is sent untimed first so the pipe, both buffers and the
// scheduler are in steady state when the clock starts.
const throughputWarmup = 64 << 20

type throughputResult struct {
	Bench    string  `json:"bench"`
	Write    int     `json:"write"`
	ParentIO string  `json:"parent_io"`
	Bytes    int     `json:"bytes"`
	Secs     float64 `json:"secs"`
	MBPerS   float64 `json:"mb_per_s"` // 10^6 bytes per second
	hostLoad
}

func throughputFlags(fs *flag.FlagSet, c *config) {
	sizeFlag(fs, &c.write, "write", 64<<10, 64<<20, "`bytes` per write; the child reads with the same size")
	sizeFlag(fs, &c.bytes, "bytes", 2<<30, 1<<40, "`bytes` in the timed transfer; the default takes ~1 s at 2 GB/s")
	blockingFlag(fs, c)
}

func runThroughput(ctx context.Context, l launcher, c *config) (any, error) {
	k, err := l.start(ctx, c, 0)
	if err != nil {
		return nil, err
	}
	defer k.stop()
	buf := make([]byte, c.write)
	if err := transfer(k, buf, throughputWarmup); err != nil {
		return nil, err
	}
	begin := time.Now()
	if err := transfer(k, buf, c.bytes); err != nil {
		return nil, err
	}
	secs := time.Since(begin).Seconds()
	if err := k.stop(); err != nil {
		return nil, err
	}
	mbps := float64(c.bytes) / secs / 1e6
	return throughputResult{"pipe_throughput", c.write, parentIO(c), c.bytes, round(secs, 4), round(mbps, 1), readHostLoad()}, nil
}

// transfer sends an 8-byte length, then total bytes in len(buf) writes, and
// waits for the child's 1-byte ack that it has read them all.
func transfer(k *child, buf []byte, total int) error {
	var hdr [8]byte
	binary.LittleEndian.PutUint64(hdr[:], uint64(total))
	if _, err := k.in.Write(hdr[:]); err != nil {
		return fmt.Errorf("write to child: %w", err)
	}
	for sent := 0; sent < total; {
		n := min(len(buf), total-sent)
		if _, err := k.in.Write(buf[:n]); err != nil {
			return fmt.Errorf("write to child: %w", err)
		}
		sent += n
	}
	if _, err := io.ReadFull(k.out, hdr[:1]); err != nil {
		return fmt.Errorf("read ack: %w", err)
	}
	return nil
}

func childThroughput(c *config, _ int) error {
	in, out := childFiles()
	buf := make([]byte, c.write)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(in, hdr[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		// Read directly rather than io.CopyN(io.Discard, ...): io.Discard's
		// ReadFrom would use its own small buffer and change what we measure.
		for left := binary.LittleEndian.Uint64(hdr[:]); left > 0; {
			n, err := in.Read(buf[:min(uint64(len(buf)), left)])
			if err != nil {
				return err
			}
			left -= uint64(n)
		}
		if _, err := out.Write(hdr[:1]); err != nil {
			return err
		}
	}
}
