package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Digest returns the SHA-256, in hex, of the canonical encoding of results:
// for each result in the order given, one line holding the JSON array
// [task, status, output], where output is re-encoded from its JSON form with
// object keys sorted and numbers kept as written. Going through JSON makes
// the digest computable from a report file alone, by any JSON library that
// preserves number literals.
func Digest(results []Result) (string, error) {
	h := sha256.New()
	var line bytes.Buffer
	for _, r := range results {
		line.Reset()
		canon, err := Canonical(r.Output)
		if err != nil {
			return "", fmt.Errorf("report: task %d: %w", r.Task, err)
		}
		status, _ := json.Marshal(r.Status)
		fmt.Fprintf(&line, "[%d,%s,%s]\n", r.Task, status, canon)
		h.Write(line.Bytes())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Canonical returns the canonical JSON encoding of an output, the one Digest
// hashes: v encoded as JSON, decoded with number literals preserved and
// encoded again, which sorts object keys and removes insignificant space
// whatever v's Go type was. Two outputs are equal when their canonical
// encodings are.
func Canonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic)
}
