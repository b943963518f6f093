package wire_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/brinehq/brine/pkg/wire"
)

func TestSplitArray(t *testing.T) {
	for _, c := range []struct {
		name string
		raw  []byte
		want [][]byte
	}{
		{"empty raw is an empty array", nil, nil},
		{"empty array", []byte{0x90}, nil},
		{"two elements", unhex("92 01 a1 61"), [][]byte{{0x01}, {0xa1, 'a'}}},
		{"nested", unhex("92 92 01 02 81 a1 6b c0"), [][]byte{unhex("92 01 02"), unhex("81 a1 6b c0")}},
		{"array16 header", unhex("dc 00 01 cd 27 10"), [][]byte{unhex("cd 27 10")}},
	} {
		got, err := wire.SplitArray(c.raw, nil)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: SplitArray(% x) = %x, %v; want %x", c.name, c.raw, got, err, c.want)
		}
	}
	for _, raw := range [][]byte{
		{0xc0},                     // nil is not an array
		{0x01},                     // nor is an integer
		unhex("92 01"),             // too few elements
		unhex("91 01 02"),          // bytes after the array
		unhex("dd ff ff ff ff 01"), // 4G elements declared
		unhex("91 df ff ff ff ff"), // a map of 4G pairs inside
		unhex("91 c1"),
		append([]byte{0x91}, deep...),
	} {
		if _, err := wire.SplitArray(raw, nil); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("SplitArray(% x…) = %v, want ErrMalformed", raw[:min(len(raw), 8)], err)
		}
	}
}

func TestCheckValue(t *testing.T) {
	for _, raw := range [][]byte{{0xc0}, {0x01}, unhex("92 01 a1 61"), bigArgs, append(bytes.Repeat([]byte{0x91}, wire.MaxDepth), 0x01)} {
		if err := wire.CheckValue(raw); err != nil {
			t.Errorf("CheckValue(% x…) = %v", raw[:min(len(raw), 8)], err)
		}
	}
	for _, raw := range [][]byte{nil, {0xc1}, unhex("01 02"), unhex("db ff ff ff ff"), deep, append(bytes.Repeat([]byte{0x91}, wire.MaxDepth+1), 0x01)} {
		if err := wire.CheckValue(raw); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("CheckValue(% x…) = %v, want ErrMalformed", raw[:min(len(raw), 8)], err)
		}
	}
}
