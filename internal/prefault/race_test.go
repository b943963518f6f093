//go:build race

package prefault

func init() { raceShadow = true }
