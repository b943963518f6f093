package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestSieveCounts compares the segmented sieve with trial division, across
// segment boundaries and for ranges of every width.
func TestSieveCounts(t *testing.T) {
	isPrime := func(n int64) bool {
		if n < 2 {
			return false
		}
		for d := int64(2); d*d <= n; d++ {
			if n%d == 0 {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct{ tasks, size int64 }{{1, 1}, {10, 1}, {7, 3}, {1, 200_000}, {3, 65_537}, {100, 1000}} {
		t.Run(fmt.Sprintf("%dx%d", tc.tasks, tc.size), func(t *testing.T) {
			got := sieveCounts(tc.tasks*tc.size, tc.size, tc.tasks)
			for i := range tc.tasks {
				var want int64
				for k := i * tc.size; k < (i+1)*tc.size; k++ {
					if isPrime(k) {
						want++
					}
				}
				if got[i] != want {
					t.Fatalf("range %d: %d primes, want %d", i, got[i], want)
				}
			}
		})
	}
	var pi int64
	for _, c := range sieveCounts(10_000_000, 100_000, 100) {
		pi += c
	}
	if pi != 664_579 {
		t.Errorf("π(10^7) = %d, want 664579", pi)
	}
}

func TestHashAnswer(t *testing.T) {
	// From `coordinator -job hash -tasks 3 -size 10` (docs/REPORT.md).
	if got := hashAnswer(1, 2, 10); got != "e9d2e1efaab23c5842b55bcdf76a91f23d661abf05f3c85424d9d61b72cbfd3e" {
		t.Errorf("hashAnswer(1, 2, 10) = %s", got)
	}
}

func hashReport(tasks int, rounds int64) *Report {
	r := &Report{Job: "hash", Tasks: tasks, Size: rounds, Seed: 5}
	for i := range tasks {
		r.Results = append(r.Results, Result{Task: i, Status: "ok", Output: hashAnswer(5, int64(i), rounds)})
	}
	return r
}

// TestBudgets checks that beyond their budgets the known-answer checks
// sample (hash) or stay out (primes, echo, hash), rather than run for
// minutes.
func TestBudgets(t *testing.T) {
	defer func(h, s, e int64) { maxHashes, maxSieve, maxEchoBytes = h, s, e }(maxHashes, maxSieve, maxEchoBytes)
	maxHashes, maxSieve, maxEchoBytes = 100, 1000, 10

	r := hashReport(30, 9) // 10 blocks a task: 10 of 30 tasks fit
	r.Results[29].Output = strings.Repeat("0", 64)
	pass, detail := knownAnswer(r)()
	if pass || !strings.Contains(detail, "task 29") {
		t.Errorf("the sample must include the last task: %v %s", pass, detail)
	}
	r.Results[29].Output = hashAnswer(5, 29, 9)
	if pass, detail := knownAnswer(r)(); !pass || detail != "hash: recomputed 10 of 30 outputs (seed 5, 9 rounds of SHA-256)" {
		t.Errorf("%v %s", pass, detail)
	}
	if knownAnswer(hashReport(1, 100)) != nil {
		t.Error("a hash check beyond the budget for one task")
	}
	primes := &Report{Job: "primes", Tasks: 2, Size: 1000, Results: []Result{{Task: 0, Status: "ok", Output: json.Number("168")}}}
	if knownAnswer(primes) != nil {
		t.Error("a primes check beyond the budget")
	}
	echo := &Report{Job: "echo", Tasks: 1, Size: 11, Results: []Result{{Task: 0, Status: "ok", Output: ""}}}
	if knownAnswer(echo) != nil {
		t.Error("an echo check beyond the budget")
	}
	if knownAnswer(&Report{Job: "sleep", Tasks: 1, Size: 1}) != nil {
		t.Error("a check with no result that succeeded")
	}
	if knownAnswer(&Report{Job: "mine", Tasks: 1, Results: []Result{{Status: "ok"}}}) != nil {
		t.Error("a check of a job without a known answer")
	}
}

func TestPrimesSizeZero(t *testing.T) {
	r := &Report{Job: "primes", Tasks: 1 << 40, Size: 0, Results: []Result{{Task: 5, Status: "ok", Output: json.Number("0")}}}
	if pass, detail := knownAnswer(r)(); !pass {
		t.Error(detail)
	}
}
