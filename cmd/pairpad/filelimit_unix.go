//go:build unix

package main

import (
	"syscall"

	"go.uber.org/zap"
)

// warnFileLimit says when MAX_CONNS cannot be reached because the process
// may open fewer files: connections past the file limit are refused by the
// kernel before Pairpad can answer 503, health checks included.
func warnFileLimit(cfg Config, log *zap.Logger) {
	var rl syscall.Rlimit
	if cfg.MaxConns == 0 || syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil {
		return
	}
	if need := uint64(cfg.MaxConns) + 64; rl.Cur < need {
		log.Warn("the open-file limit is below MAX_CONNS plus 64 for the database and files; raise it (ulimit -n) or lower MAX_CONNS",
			zap.Uint64("nofile", uint64(rl.Cur)), zap.Int("max_conns", cfg.MaxConns))
	}
}
