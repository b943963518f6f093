package coordinator

import (
	"errors"
	"slices"
	"testing"
)

func TestExpandModes(t *testing.T) {
	for _, tc := range []struct {
		spec string
		gil  bool
		want []string // nil: a usage error
	}{
		{"serial", false, []string{"serial"}},
		{"thread", false, []string{"thread"}},
		{"thread", true, []string{"thread", "thread-gil"}},
		{"thread-gil", false, []string{"thread-gil"}},
		{"process", false, []string{"process"}},
		{"both", false, []string{"thread", "process"}},
		{"both", true, []string{"thread", "thread-gil", "process"}},
		{"all", false, []string{"serial", "thread", "thread+wire", "process"}},
		{"all", true, []string{"serial", "thread", "thread-gil", "thread+wire", "process"}},
		{"process, serial,process", false, []string{"serial", "process"}},
		{"thread+wire,thread-gil", false, []string{"thread-gil", "thread+wire"}},
		{"process", true, nil},
		{"serial", true, nil},
		{"sideways", false, nil},
		{"", false, nil},
	} {
		got, err := expandModes(tc.spec, tc.gil)
		if tc.want == nil {
			if !errors.Is(err, errUsage) {
				t.Errorf("expandModes(%q, %v) = %v, %v; want a usage error", tc.spec, tc.gil, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("expandModes(%q, %v) = %v, %v; want %v", tc.spec, tc.gil, got, err, tc.want)
		}
	}
}

func TestParseSweep(t *testing.T) {
	got, err := parseSweep("1, 2,4,2,8")
	if err != nil || !slices.Equal(got, []int{1, 2, 4, 8}) {
		t.Errorf("parseSweep = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "1,,2", "two", "-1"} {
		if _, err := parseSweep(bad); !errors.Is(err, errUsage) {
			t.Errorf("parseSweep(%q): want a usage error, got %v", bad, err)
		}
	}
}

func TestPlanRunsSerialOnce(t *testing.T) {
	c := &config{modes: []string{modeSerial, modeThread, modeProcess}, workers: 3, sweep: []int{1, 4}}
	want := []step{{mode: modeSerial, workers: 1}, {mode: modeThread, workers: 1}, {mode: modeProcess, workers: 1}, {mode: modeThread, workers: 4}, {mode: modeProcess, workers: 4}}
	if got := c.plan(); !slices.Equal(got, want) {
		t.Errorf("plan with a sweep = %v, want %v", got, want)
	}
	c.sweep = nil
	want = []step{{mode: modeSerial, workers: 1}, {mode: modeThread, workers: 3}, {mode: modeProcess, workers: 3}}
	if got := c.plan(); !slices.Equal(got, want) {
		t.Errorf("plan = %v, want %v", got, want)
	}
}

func TestTableAlignsColumns(t *testing.T) {
	tb := table{header: []string{"mode", "workers", "wall", ""},
		rows: [][]string{{"serial", "1", "1.5s", ""}, {"thread+wire", "12", "20ms", "← fastest"}}}
	var b []byte
	w := &sliceWriter{&b}
	tb.write(w)
	want := "mode         workers  wall\n" +
		"serial             1  1.5s\n" +
		"thread+wire       12  20ms  ← fastest\n"
	if string(b) != want {
		t.Errorf("table:\n%s\nwant:\n%s", b, want)
	}
}

type sliceWriter struct{ b *[]byte }

func (w *sliceWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }
