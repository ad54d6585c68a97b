//go:build !unix

package main

import "go.uber.org/zap"

func warnFileLimit(Config, *zap.Logger) {}
