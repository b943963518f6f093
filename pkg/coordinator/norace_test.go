//go:build !race

package coordinator_test

// raceEnabled reports whether the test binary, which its scripts run as
// their workers, was built with the race detector.
const raceEnabled = false
