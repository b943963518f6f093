package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
)

// Digest returns the SHA-256, in hex, of the canonical encoding of results:
// for each result in the order given, one line holding the JSON array
// [task, status, output], where output is re-encoded from its JSON form with
// object keys sorted and numbers kept as written. Going through JSON makes
// the digest computable from a report file alone, by any JSON library that
// preserves number literals.
func Digest(results []Result) (string, error) { return DigestSeq(Each(results)) }

// DigestSeq returns the Digest of the results that results yields, in
// order (see WriteSeq).
func DigestSeq(results iter.Seq[*Result]) (string, error) {
	h := sha256.New()
	var line []byte
	var status struct {
		s   string
		enc []byte
	} // the last status, encoded: mostly all "ok"
	for r := range results {
		if status.enc == nil || status.s != r.Status {
			status.s, status.enc = r.Status, mustMarshal(r.Status)
		}
		line = append(strconv.AppendInt(append(line[:0], '['), int64(r.Task), 10), ',')
		line = append(append(line, status.enc...), ',')
		if big, ok := r.Output.([]byte); ok && len(big) >= streamOutput {
			h.Write(append(line, '"'))
			writeBase64(h, big) // its canonical form, streamed
			h.Write([]byte("\"]\n"))
			continue
		}
		canon, err := Canonical(r.Output)
		if err != nil {
			return "", fmt.Errorf("report: task %d: %w", r.Task, err)
		}
		line = append(append(line, canon...), ']', '\n')
		h.Write(line)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func mustMarshal(s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return b
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
	switch v.(type) {
	case nil, bool, string, []byte, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, float32, float64:
		return raw, nil // no keys to sort: a scalar's encoding is canonical
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic)
}
