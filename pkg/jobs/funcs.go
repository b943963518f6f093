package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/brinehq/brine/pkg/task"
)

// Primes counts the primes in [i·size, (i+1)·size) by trial division: bound
// argument size, argument i. It is deliberately plain CPU work, the kind a
// GIL serializes.
var Primes = task.Register2("primes", func(ctx context.Context, size, i int64) (int64, error) {
	lo, hi := i*size, (i+1)*size
	var n int64
	for k := lo; k < hi; k++ {
		if k&0xfff == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if isPrime(k) {
			n++
		}
	}
	return n, nil
})

func isPrime(n int64) bool {
	if n < 2 {
		return false
	}
	if n < 4 {
		return true
	}
	if n%2 == 0 || n%3 == 0 {
		return false
	}
	for d := int64(5); d*d <= n; d += 6 {
		if n%d == 0 || n%(d+2) == 0 {
			return false
		}
	}
	return true
}

// Sleep sleeps ms milliseconds (bound argument) and returns the milliseconds
// slept; the argument, the task index, is ignored. It stands in for I/O:
// under thread mode with a GIL it releases the lock while it sleeps, as
// CPython's time.sleep does. A cancelled context ends the sleep early with
// the context's error.
var Sleep = task.Register2("sleep", func(ctx context.Context, ms, _ int64) (int64, error) {
	var err error
	task.Blocking(ctx, func() {
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			err = ctx.Err()
		}
	})
	return ms, err
})

// Echo returns its payload: the pure cost of moving bytes to a worker and back.
var Echo = task.Register("echo", func(_ context.Context, payload []byte) ([]byte, error) {
	return payload, nil
})

// HashParams are the bound arguments of Hash.
type HashParams struct {
	_msgpack struct{} `msgpack:",as_array"`
	Rounds   int64
	Seed     int64
}

// Hash hashes with SHA-256 a 16-byte block, the seed then the task index i,
// each big-endian, re-hashes the raw digest Rounds times, and returns the
// last digest in hex (docs/PROTOCOL.md §11): CPU-bound and deterministic.
var Hash = task.Register2("hash", func(ctx context.Context, p HashParams, i int64) (string, error) {
	var block [16]byte
	binary.BigEndian.PutUint64(block[:8], uint64(p.Seed))
	binary.BigEndian.PutUint64(block[8:], uint64(i))
	sum := sha256.Sum256(block[:])
	for r := int64(0); r < p.Rounds; r++ {
		if r&0x3ff == 0 && ctx.Err() != nil {
			return "", ctx.Err()
		}
		sum = sha256.Sum256(sum[:])
	}
	return hex.EncodeToString(sum[:]), nil
})
