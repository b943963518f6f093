//go:build !lean

package coordinator

// leanBuild tells a lean build (build.go) from a full one.
const leanBuild = false
