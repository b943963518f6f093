//go:build plugin

package main

import _ "github.com/brinehq/brine/pkg/transport/plugin" // serves through go-plugin when that transport starts it
