#!/usr/bin/env bash
# Checks formatting, runs every test under the race detector, then each fuzz
# target briefly (20,000 inputs each, beyond its seed corpus).
# Installs the independent msgpack client (Debian's python3-msgpack) that
# the protocol conformance test drives the worker with, when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! /usr/bin/python3 -c 'import msgpack' 2>/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing python3-msgpack for the protocol conformance test"
		(apt-get install -y -qq python3-msgpack >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null && apt-get install -y -qq python3-msgpack >/dev/null; }) ||
			echo "warning: could not install python3-msgpack"
	else
		echo "warning: python3-msgpack is missing and cannot be installed here"
	fi
fi

go build ./...
go vet ./...
go vet -tags lean ./cmd/coordinator ./pkg/coordinator # make build's lean bin/coordinator
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "not gofmt-formatted:" $unformatted >&2
	exit 1
fi
go test -race -count=1 -timeout 20m ./...
for target in $(grep -rlE '^func Fuzz' --include='*_test.go' pkg | xargs -n1 dirname | sort -u); do
	for fn in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)' "$target"/*_test.go | awk '{print $2}'); do
		# A count, not a duration: with a duration, go1.26's fuzz coordinator
		# can report its own deadline as a failure on a loaded machine
		# (golang/go#75804, fixed in go1.27).
		go test -run='^$' -fuzz="^${fn}\$" -fuzztime=20000x -timeout=10m "./$target/"
	done
done
