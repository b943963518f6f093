// Package report defines brine's versioned run report (schema
// "brine.report/v1", documented in docs/REPORT.md and defined by the JSON
// Schema docs/report.schema.json), computes its digest, and grades it.
//
// A report keeps what a correct run determines (the job, its parameters and
// the results ordered by task id, summarised by Digest) apart from what
// varies between runs (timings, pids, the host), so that a grader can
// compare two runs of one job whatever their mode or worker count.
//
// Entry points: Write writes a Report; Read and Decode read one back,
// validated against the schema, refusing malformed input with ErrNotJSON
// or ErrInvalid; Normalize zeroes what varies, for golden files; Grade
// runs the checks of `coordinator grade`, and a Grading writes them as
// JUnit XML (WriteJUnit) or a Gradescope results.json (WriteGradescope).
package report
