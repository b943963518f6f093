package nats_test

// runRole runs the role the test binary was started in, if any, and
// exits; otherwise it returns.
func runRole() {}
