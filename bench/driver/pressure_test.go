package main

import (
	"testing"
	"time"
)

func TestParsePressure(t *testing.T) {
	p := parsePressure("some avg10=5.74 avg60=2.92 avg300=1.18 total=4883656\n" +
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
	if !p.ok || p.avg10 != 5.74 || p.total != 4883656*time.Microsecond {
		t.Errorf("parsePressure = %+v, want avg10 5.74, total 4.883656s", p)
	}
	for _, bad := range []string{"", "full avg10=1.00 total=5\n", "some avg10=x total=5\n", "some avg10=1.0\n"} {
		if p := parsePressure(bad); p.ok {
			t.Errorf("parsePressure(%q) = %+v, want not ok", bad, p)
		}
	}
}

func TestStalled(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(sec float64, waitedMs int) pressure {
		return pressure{ok: true, at: t0.Add(time.Duration(sec * float64(time.Second))),
			total: time.Duration(waitedMs) * time.Millisecond}
	}
	for _, tc := range []struct {
		p, q pressure
		want float64
	}{
		{at(0, 100), at(2, 600), 25}, // 0.5 s of waiting in 2 s
		{at(0, 100), at(1, 100), 0},  // none
		{at(0, 0), at(1, 3000), 100}, // readings a moment apart: capped at 100 %
		{at(0, 500), at(1, 100), -1}, // total went back: not the same counter
		{at(1, 0), at(1, 0), -1},     // no time passed
		{pressure{}, at(1, 100), -1}, // unreadable
	} {
		if got := stalled(tc.p, tc.q); got != tc.want {
			t.Errorf("stalled(%v, %v) = %v, want %v", tc.p.total, tc.q.total, got, tc.want)
		}
	}
	if percent(-1) != "n/a" || percent(24.44) != "24.4 %" {
		t.Errorf("percent: %q, %q", percent(-1), percent(24.44))
	}
}
