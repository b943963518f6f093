// Package jobs registers brine's built-in functions (primes, sleep, echo,
// hash) and describes the built-in jobs that the coordinator runs from the
// command line: how task i of a job is built, and the answer a correct run
// must produce where one is known.
//
// Importing the package registers the functions in task.Default, so a binary
// that serves built-in jobs as a worker imports it.
package jobs
