package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// The known answers of the built-in jobs are recomputed here from the job's
// documentation (docs/REPORT.md, "Known answers"), not by calling the jobs'
// code, so that a bug there is not repeated here. Each recomputation has a
// budget; beyond it the check is left out rather than taking minutes.
var (
	maxSieve     int64 = 1 << 28 // numbers a primes check may sieve
	maxSieveTask int64 = 1 << 22 // tasks a primes check may count for
	maxHashes    int64 = 1 << 22 // SHA-256 blocks a hash check may compute
	maxEchoBytes int64 = 1 << 26 // size of the echo payload a check may build
)

// echoStream is the second PCG seed of the echo payload ("brne").
const echoStream = 0x62726e65

// knownAnswer returns the check of r's known answer, or nil for a job with
// none or one beyond the budget.
func knownAnswer(r *Report) func() (bool, string) {
	ok := okResults(r)
	if len(ok) == 0 {
		return nil
	}
	switch r.Job {
	case "primes":
		return checkPrimes(r, ok)
	case "hash":
		return checkHash(r, ok)
	case "echo":
		return checkEcho(r, ok)
	case "sleep":
		return checkEach(ok, fmt.Sprintf("sleep: every output is the size, %d", r.Size), func(Result) int64 { return r.Size })
	case "fault":
		return checkEach(ok, "fault: every output is its task id", func(res Result) int64 { return int64(res.Task) })
	}
	return nil
}

// okResults returns the results with status ok and a task id in range.
func okResults(r *Report) []Result {
	var ok []Result
	for _, res := range r.Results {
		if res.Status == "ok" && res.Task < r.Tasks {
			ok = append(ok, res)
		}
	}
	return ok
}

// outputInt returns an output that is an integer.
func outputInt(v any) (int64, error) {
	canon, err := Canonical(v)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(canon), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("output %s is not an integer", quote(canon))
	}
	return n, nil
}

// checkEach checks that every output is the integer want returns.
func checkEach(ok []Result, pass string, want func(Result) int64) func() (bool, string) {
	return func() (bool, string) {
		for _, res := range ok {
			n, err := outputInt(res.Output)
			if err != nil {
				return false, fmt.Sprintf("task %d: %v", res.Task, err)
			}
			if w := want(res); n != w {
				return false, fmt.Sprintf("task %d: output %d, the known answer is %d", res.Task, n, w)
			}
		}
		return true, pass
	}
}

// checkPrimes compares each output with the primes a sieve counts in the
// task's range [i·size, (i+1)·size); their sum is π(tasks·size).
func checkPrimes(r *Report, ok []Result) func() (bool, string) {
	tasks, size := int64(r.Tasks), r.Size
	if size == 0 {
		return checkEach(ok, "primes: every output is 0: size 0 makes every range empty", func(Result) int64 { return 0 })
	}
	if tasks > maxSieveTask || tasks > maxSieve/size {
		return nil
	}
	return func() (bool, string) {
		n := tasks * size
		counts := sieveCounts(n, size, tasks)
		var pi, sum int64
		for _, c := range counts {
			pi += c
		}
		for _, res := range ok {
			got, err := outputInt(res.Output)
			if err != nil {
				return false, fmt.Sprintf("primes: task %d: %v", res.Task, err)
			}
			if want := counts[res.Task]; got != want {
				lo := int64(res.Task) * size
				return false, fmt.Sprintf("primes: task %d: output %d, but [%d, %d) holds %d primes",
					res.Task, got, lo, lo+size, want)
			}
			sum += got
		}
		if int64(len(ok)) == tasks && sum != pi { // a task counted twice
			return false, fmt.Sprintf("primes: the outputs sum to %d, not π(%d) = %d", sum, n, pi)
		}
		return true, fmt.Sprintf("primes: %d outputs equal a sieve's counts; π(%d) = %d, the outputs sum to %d",
			len(ok), n, pi, sum)
	}
}

// sieveCounts counts the primes below n in each range [i·size, (i+1)·size)
// with a segmented sieve of Eratosthenes, which needs memory for √n numbers
// and one segment only.
func sieveCounts(n, size, tasks int64) []int64 {
	counts := make([]int64, tasks)
	var base []int64 // primes up to √n
	small := make([]bool, isqrt(n)+1)
	for p := int64(2); p < int64(len(small)); p++ {
		if !small[p] {
			base = append(base, p)
			for m := p * p; m < int64(len(small)); m += p {
				small[m] = true
			}
		}
	}
	const segment = 1 << 16
	composite := make([]bool, segment)
	for lo := int64(0); lo < n; lo += segment {
		hi := min(lo+segment, n)
		clear(composite)
		for _, p := range base {
			if p*p >= hi {
				break
			}
			for m := max(p*p, (lo+p-1)/p*p); m < hi; m += p {
				composite[m-lo] = true
			}
		}
		for k := max(lo, 2); k < hi; {
			task := k / size
			end := min(hi, (task+1)*size)
			var c int64
			for ; k < end; k++ {
				if !composite[k-lo] {
					c++
				}
			}
			counts[task] += c
		}
	}
	return counts
}

func isqrt(n int64) int64 {
	r := int64(0)
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}

// checkHash recomputes hash outputs: SHA-256 of the 16-byte block holding
// the seed and the task id, big-endian, then size more rounds of SHA-256
// over the digest, in lowercase hex. Beyond the budget it recomputes an
// evenly spaced sample, first and last included.
func checkHash(r *Report, ok []Result) func() (bool, string) {
	perTask := r.Size + 1
	k := int64(len(ok))
	if perTask > maxHashes/k {
		k = maxHashes / perTask
	}
	if k == 0 {
		return nil
	}
	return func() (bool, string) {
		for j := int64(0); j < k; j++ {
			i := j * int64(len(ok)-1) / max(k-1, 1)
			res := ok[i]
			want := hashAnswer(r.Seed, int64(res.Task), r.Size)
			if got, _ := res.Output.(string); got != want {
				return false, fmt.Sprintf("hash: task %d: output %s, recomputed %q", res.Task, jsonOutput(res.Output), want)
			}
		}
		return true, fmt.Sprintf("hash: recomputed %d of %d outputs (seed %d, %d rounds of SHA-256)", k, len(ok), r.Seed, r.Size)
	}
}

func hashAnswer(seed, task, rounds int64) string {
	var block [16]byte
	binary.BigEndian.PutUint64(block[:8], uint64(seed))
	binary.BigEndian.PutUint64(block[8:], uint64(task))
	sum := sha256.Sum256(block[:])
	for range rounds {
		sum = sha256.Sum256(sum[:])
	}
	return hex.EncodeToString(sum[:])
}

// checkEcho compares every output with the payload: size bytes from a PCG
// seeded with (seed, "brne"), each the low byte of Uint32, in base64.
func checkEcho(r *Report, ok []Result) func() (bool, string) {
	if r.Size > maxEchoBytes {
		return nil
	}
	return func() (bool, string) {
		payload := make([]byte, r.Size)
		rng := rand.New(rand.NewPCG(uint64(r.Seed), echoStream))
		for i := range payload {
			payload[i] = byte(rng.Uint32())
		}
		want, _ := json.Marshal(payload)
		for _, res := range ok {
			got, err := Canonical(res.Output)
			if err != nil || !bytes.Equal(got, want) {
				return false, fmt.Sprintf("echo: task %d: output %s, the payload of seed %d is %s", res.Task, quote(got), r.Seed, quote(want))
			}
		}
		return true, fmt.Sprintf("echo: all %d outputs are the %d-byte payload of seed %d", len(ok), r.Size, r.Seed)
	}
}
