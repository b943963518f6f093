package nats

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
)

// joinSubject is where workers ask to join a run (join.go).
const joinSubject = "brine.join"

// run names the streams and subjects of one run: a random id, so that
// runs sharing a server never meet.
type run struct{ id string }

func newRun() run {
	b := make([]byte, 6)
	rand.Read(b)
	return run{id: hex.EncodeToString(b)}
}

// direction is which way frames travel.
type direction string

const (
	toWorker   direction = "in"
	fromWorker direction = "out"
)

func (r run) stream(d direction) string { return "BRINE_" + r.id + "_" + string(d) }

func (r run) streamSubjects(d direction) string { return "brine." + r.id + "." + string(d) + ".*" }

func (r run) subject(d direction, member string) string {
	return "brine." + r.id + "." + string(d) + "." + member
}

// alive is the core NATS subject member beats on; "coordinator" is the
// coordinator's.
func (r run) alive(member string) string { return "brine." + r.id + ".alive." + member }

// control is where the coordinator tells a worker of another machine to
// stop (signal.go).
func (r run) control(member string) string { return "brine." + r.id + ".control." + member }

const coordinatorMember = "coordinator"

func memberName(n uint64) string { return "m" + strconv.FormatUint(n, 10) }
