package sync

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// DurabilityMetrics describe the change log, the save backlog and the spill
// directory. Embedded in Metrics; all fields are safe for concurrent use.
type DurabilityMetrics struct {
	LogRoomsPending   atomic.Int64 // rooms with log entries not yet in the database
	LogEntriesPending atomic.Int64
	LogBytesPending   atomic.Int64
	LogAppends        atomic.Int64 // transactions that committed
	LogAppendErrors   atomic.Int64
	LogEntriesWritten atomic.Int64
	LogBytesWritten   atomic.Int64
	LogAppendNanos    atomic.Int64
	UnsavedRooms      atomic.Int64 // rooms whose last snapshot save failed
	Spills            atomic.Int64 // rooms written to SPILL_DIR
	SpillErrors       atomic.Int64
	SpillsRecovered   atomic.Int64 // spill files merged into the database at start
}

func (m *DurabilityMetrics) writePrometheus(w io.Writer) {
	g := func(name, help, typ string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	g("pairpad_log_rooms_pending", "Rooms with change-log entries not yet in the database.", "gauge", m.LogRoomsPending.Load())
	g("pairpad_log_entries_pending", "Change-log entries waiting to be written (retried while the database fails).", "gauge", m.LogEntriesPending.Load())
	g("pairpad_log_bytes_pending", "Bytes of change-log entries waiting to be written.", "gauge", m.LogBytesPending.Load())
	g("pairpad_log_appends_total", "Change-log transactions committed (one per LOG_INTERVAL tick with changes).", "counter", m.LogAppends.Load())
	g("pairpad_log_append_errors_total", "Change-log transactions that failed (retried with backoff).", "counter", m.LogAppendErrors.Load())
	g("pairpad_log_entries_written_total", "Change-log entries written.", "counter", m.LogEntriesWritten.Load())
	g("pairpad_log_bytes_written_total", "Change-log bytes written.", "counter", m.LogBytesWritten.Load())
	fmt.Fprintf(w, "# HELP pairpad_log_append_seconds_total Time spent appending to the change log.\n# TYPE pairpad_log_append_seconds_total counter\npairpad_log_append_seconds_total %g\n",
		time.Duration(m.LogAppendNanos.Load()).Seconds())
	g("pairpad_unsaved_rooms", "Loaded rooms whose latest snapshot save failed (kept in memory, retried).", "gauge", m.UnsavedRooms.Load())
	g("pairpad_spills_total", "Rooms written to SPILL_DIR because the database could not take them.", "counter", m.Spills.Load())
	g("pairpad_spill_errors_total", "Spill writes that failed.", "counter", m.SpillErrors.Load())
	g("pairpad_spills_recovered_total", "Spill files merged into the database at start (then removed).", "counter", m.SpillsRecovered.Load())
}
