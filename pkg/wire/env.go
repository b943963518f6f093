package wire

// Environment variables a coordinator sets on the worker processes it
// starts (docs/PROTOCOL.md §1.1).
const (
	// EnvMarker marks a process started as a worker.
	EnvMarker = "BRINE_WORKER"
	// EnvLogLevel carries the coordinator's log level: "debug", "info"...
	EnvLogLevel = "BRINE_LOG_LEVEL"
	// EnvCondFD names the descriptor of the shared conds and barriers
	// (pkg/cond), when the coordinator passes them.
	EnvCondFD = "BRINE_COND_FD"
	// EnvLaneFD names the descriptor of the worker's shared-memory lanes
	// (pkg/lane), when the coordinator passes them.
	EnvLaneFD = "BRINE_LANE_FD"
	// EnvStates names, comma-separated, the registered task States a
	// worker makes as it starts, before its Hello (pool.WithInitializer).
	EnvStates = "BRINE_STATES"
)

// File descriptors of a worker process started over pipes
// (docs/PROTOCOL.md §1).
const (
	InFD  = 3 // frames from the coordinator
	OutFD = 4 // frames to the coordinator
	// CondFD is the shared memory of the run's conds and barriers.
	CondFD = 5
	// LaneFD is the memory of the worker's lanes for large payloads.
	LaneFD = 6
)

// Exit statuses of a worker process (docs/PROTOCOL.md §1.2).
const (
	ExitOK       = 0
	ExitFailure  = 1 // the protocol failed: a bad frame, a broken pipe
	ExitUsage    = 2 // not started as a worker
	ExitMismatch = 3 // the coordinator speaks another protocol version
)
