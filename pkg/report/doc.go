// Package report defines brine's versioned run report (schema
// "brine.report/v1", documented in docs/REPORT.md), computes its digest, and
// writes it as JSON.
//
// A report keeps what a correct run determines (the job, its parameters and
// the results ordered by task id, summarised by Digest) apart from what
// varies between runs (timings, pids, the host), so that a grader can
// compare two runs of one job whatever their mode or worker count.
package report
