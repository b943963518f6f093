// Package readme checks that the program README.md shows under "Use it as a
// library" builds and prints what its comments say, as a user who copies
// it would run it.
package readme
