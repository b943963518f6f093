package plugin_test

import "github.com/brinehq/brine/pkg/transport/transporttest"

// The conformance suite's process and file checks, for the package's own
// tests.
var (
	alive           = transporttest.Alive
	checkNoChildren = transporttest.CheckNoChildren
	checkEmpty      = transporttest.CheckEmptyDir
	shortTempDir    = transporttest.ShortTempDir
)
