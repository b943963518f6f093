package report

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
)

// Validations may run at once, the first ones included: the library
// compiles a schema's "pattern" on first use and keeps it in the schema,
// which Validate must guard. Unguarded, go test -race reports the race in
// some runs only (once per process, and sync.Pool inside fmt often orders
// the goroutines), so this test is a check that the guard holds rather
// than proof that it is needed.
func TestValidateConcurrent(t *testing.T) {
	data, err := os.ReadFile("testdata/golden/hash.json")
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte(`"digest": "`), []byte(`"digest": "xyz`), 1)
	if _, err := compiled(); err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			doc, err := ParseJSON(data)
			<-start
			if err != nil {
				t.Error(err)
				return
			}
			if err := Validate(doc); err == nil || !strings.Contains(err.Error(), "at '/digest': pattern: ") {
				t.Errorf("Validate: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
}
