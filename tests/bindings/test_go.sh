#!/usr/bin/env bash
# The Go module (bindings/go) against the reference server: go test, then the concurrent,
# raw-call and resend tests again under -race, with cgo's full pointer checks on. Standard library only: no
# module downloads (GOPROXY=off), caches in a temporary directory.
# usage: test_go.sh LIBBENTOGRPC_SO SOURCE_DIR
set -euo pipefail
lib=$(cd "$(dirname "$1")" && pwd)
src=$(cd "$2" && pwd)
command -v go >/dev/null || { echo "go not found: apt-get install golang-go (scripts/install-deps.sh)"; exit 1; }
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export GOPATH=$tmp/gopath GOCACHE=$tmp/gocache GOPROXY=off GOFLAGS= GO111MODULE=on
# the build tree's include/ holds the generated bentogrpc/version.h
export CGO_ENABLED=1 CGO_CFLAGS="-I$src/include -I$lib/include" CGO_LDFLAGS="-L$lib -Wl,-rpath,$lib"
export BENTOGRPC_SOURCE_DIR=$src GODEBUG=cgocheck=2
cd "$src/bindings/go"
go vet ./...
go test -count=1 -v ./...
go test -count=1 -race -run 'Concurrent|Cancel|Close|Raw|Resent' ./...
