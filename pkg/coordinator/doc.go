// Package coordinator is the coordinator command: it parses the command
// line, runs a job on a pool (pkg/pool) in one or more modes, prints a
// summary and writes the report (pkg/report). Main is its entry point;
// cmd/coordinator only wires it to the process.
//
//	coordinator [flags]            run a job (see -help)
//	coordinator demo NAME [flags]  run a demonstration: serialize, closure,
//	                               condition, barrier, shared
//	coordinator grade [flags] FILE grade a report (pkg/report)
package coordinator
