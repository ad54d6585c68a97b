package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Result is one run, printed as one JSON line.
type Result struct {
	Time        string  `json:"time"`
	Label       string  `json:"label,omitempty"`
	Scenario    string  `json:"scenario"`
	Target      string  `json:"target"`
	Trace       string  `json:"trace"`
	Rooms       int     `json:"rooms,omitempty"`
	Typists     int     `json:"typists,omitempty"`
	Observers   int     `json:"observers,omitempty"`
	ThinViewers bool    `json:"thin_viewers,omitempty"`
	Rate        float64 `json:"rate_keys_per_s"` // per typist; 0 = recorded pace
	AdvertiseV2 bool    `json:"advertise_v2"`
	// AdvertiseV2Join: the fresh peers of the join scenario advertised v2.
	AdvertiseV2Join bool    `json:"advertise_v2_join"`
	WallS           float64 `json:"wall_s"`
	// Seeded: rooms opened with the trace\'s starting file.
	Seeded bool `json:"seeded"`

	Keystrokes int             `json:"keystrokes,omitempty"`
	Expected   int             `json:"deliveries_expected,omitempty"` // (observer, keystroke) pairs
	Latency    *LatencySummary `json:"latency,omitempty"`
	Lost       int             `json:"lost"`
	Late       int             `json:"late"`
	LateAfterS float64         `json:"late_after_s,omitempty"`
	Converged  *bool           `json:"converged,omitempty"`

	FramesPerS        float64 `json:"frames_per_s"` // client side, both directions
	BytesPerS         float64 `json:"bytes_per_s"`
	BytesPerKeystroke float64 `json:"bytes_per_keystroke,omitempty"`

	Server     ProcUsage          `json:"server"`
	Metrics    map[string]float64 `json:"pairpad_metrics,omitempty"`
	Tool       ToolUsage          `json:"tool"`
	Bottleneck string             `json:"bottleneck"`
	Errors     []string           `json:"errors,omitempty"`
	ErrorCount int64              `json:"error_count"`

	Join *JoinResult `json:"join,omitempty"`
	Ramp *RampResult `json:"ramp,omitempty"`
	Idle *IdleResult `json:"idle,omitempty"`
}

// ProcUsage is the server's CPU and memory over the measured window.
type ProcUsage struct {
	Source string  `json:"source"` // "/proc" or "/metrics" or "none"
	CPUS   float64 `json:"cpu_s"`
	Util   float64 `json:"util_of_one_core"`
	// RunQueueWaitS: time its threads waited for a CPU (from /proc).
	RunQueueWaitS  float64 `json:"runqueue_wait_s"`
	CPUPerKeyMs    float64 `json:"cpu_ms_per_keystroke,omitempty"`
	PeakRSSMB      float64 `json:"peak_rss_mb,omitempty"`
	HighWaterRSSMB float64 `json:"vmhwm_mb,omitempty"` // since the process started
}

// ToolUsage is the load tool's own cost.
type ToolUsage struct {
	CPUS          float64         `json:"cpu_s"`
	Util          float64         `json:"util_of_one_core"`
	RunQueueWaitS float64         `json:"runqueue_wait_s"`
	SchedLag      *LatencySummary `json:"keystroke_schedule_lag,omitempty"`
	ProbeLag      *LatencySummary `json:"sleep_probe_lag,omitempty"`
}

// JoinResult: fresh peers opening a room that holds a trace session.
type JoinResult struct {
	Changes    int       `json:"changes"`
	TextRunes  int       `json:"text_code_points"`
	SavedBytes int       `json:"saved_bytes"`
	Ms         []float64 `json:"ms"`
	MedianMs   float64   `json:"median_ms"`
	// ArrivedMs: from dial to the arrival of the frame that completed the
	// text (server work + transfer); ApplyMs: the Go client applying it
	// (automerge-go, not the server).
	ArrivedMs       []float64 `json:"arrived_ms"`
	MedianArrivedMs float64   `json:"median_arrived_ms"`
	ApplyMs         []float64 `json:"apply_ms"`
	MedianApplyMs   float64   `json:"median_apply_ms"`
	Bytes           []int64   `json:"bytes_received"`
	MedianBytes     float64   `json:"median_bytes"`
	BytesToSaved    float64   `json:"bytes_to_saved_ratio"`
	SeedS           float64   `json:"seed_s"`
}

// RampStep is one step of the ramp.
type RampStep struct {
	Rooms      int            `json:"rooms"`
	Latency    LatencySummary `json:"latency"`
	Late       int            `json:"late"`
	ServerUtil float64        `json:"server_util"`
	ToolUtil   float64        `json:"tool_util"`
	// ServerWait, ToolWait: run-queue wait per second of wall time.
	ServerWait float64 `json:"server_runqueue_wait_per_s"`
	ToolWait   float64 `json:"tool_runqueue_wait_per_s"`
	Errors     int64   `json:"errors"`
	OK         bool    `json:"ok"`
}

// RampResult: the largest load held.
type RampResult struct {
	P99LimitMs float64    `json:"p99_limit_ms"`
	MaxRooms   int        `json:"max_rooms_held"`
	StopReason string     `json:"stop_reason"`
	Steps      []RampStep `json:"steps"`
}

// IdleResult: memory of many idle rooms, and after they are all left.
type IdleResult struct {
	Rooms           int     `json:"rooms"`
	KeysPerRoom     int     `json:"keystrokes_per_room"`
	BaselineMB      float64 `json:"rss_baseline_mb"`
	LoadedMB        float64 `json:"rss_loaded_mb"`
	PerRoomKB       float64 `json:"rss_per_room_kb"`
	Conns           int     `json:"connections"`
	PerConnKB       float64 `json:"rss_per_connection_kb"` // all of it counted against connections
	AfterLeaveMB    float64 `json:"rss_after_leave_mb"`
	MinAfterLeaveMB float64 `json:"rss_min_after_leave_mb"`
	SettleS         float64 `json:"settle_s"`
	UnloadS         float64 `json:"unload_s,omitempty"` // Pairpad: last leave -> all rooms saved and unloaded
	Saves           float64 `json:"saves,omitempty"`
	SaveSecondsSum  float64 `json:"save_seconds_sum,omitempty"`
	RoomsLoadedEnd  float64 `json:"rooms_loaded_end,omitempty"`
	// The Go server's own figures when it exposes them (Pairpad's
	// /metrics), read with the loaded RSS: where the memory is.
	StacksMB    float64 `json:"go_stacks_mb,omitempty"`
	HeapInuseMB float64 `json:"go_heap_inuse_mb,omitempty"`
	Goroutines  float64 `json:"goroutines,omitempty"`
}

func mb(b int64) float64 { return round(float64(b)/(1<<20), 1) }
func round(v float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(v*p) / p
}

// fillUsage sets the throughput, CPU and bottleneck fields from two readings.
func (res *Result) fillUsage(u0, u1 usage, keystrokes int, srcProc bool, peak, hwm int64) {
	wall := u1.at.Sub(u0.at).Seconds()
	res.WallS = round(wall, 2)
	if wall > 0 {
		res.FramesPerS = round(float64(u1.frames-u0.frames)/wall, 1)
		res.BytesPerS = round(float64(u1.bytes-u0.bytes)/wall, 0)
	}
	if keystrokes > 0 {
		res.BytesPerKeystroke = round(float64(u1.bytes-u0.bytes)/float64(keystrokes), 0)
	}
	res.Server.Source = "none"
	if srcProc {
		res.Server.Source = "/proc"
	} else if u1.metrics != nil {
		res.Server.Source = "/metrics"
	}
	if res.Server.Source != "none" {
		cpu := (u1.srvCPU - u0.srvCPU).Seconds()
		res.Server.CPUS = round(cpu, 3)
		if wall > 0 {
			res.Server.Util = round(cpu/wall, 3)
		}
		if keystrokes > 0 {
			res.Server.CPUPerKeyMs = round(cpu*1000/float64(keystrokes), 3)
		}
	}
	res.Server.PeakRSSMB = mb(peak)
	res.Server.HighWaterRSSMB = mb(hwm)
	if peak == 0 && u1.metrics != nil {
		res.Server.PeakRSSMB = mb(int64(u1.metrics["process_resident_memory_bytes"]))
	}
	res.Server.RunQueueWaitS = round((u1.srvWait - u0.srvWait).Seconds(), 3)
	res.Tool.RunQueueWaitS = round((u1.toolWait - u0.toolWait).Seconds(), 3)
	tool := (u1.toolCPU - u0.toolCPU).Seconds()
	res.Tool.CPUS = round(tool, 3)
	if wall > 0 {
		res.Tool.Util = round(tool/wall, 3)
	}
	if u1.metrics != nil {
		res.Metrics = map[string]float64{}
		for _, k := range []string{"pairpad_frames_in_total", "pairpad_frames_out_total", "pairpad_bytes_in_total", "pairpad_bytes_out_total",
			"pairpad_fast_joins_total", "pairpad_slow_consumers_total", "pairpad_saves_total", "process_cpu_seconds_total"} {
			res.Metrics[k+"_delta"] = u1.metrics[k] - u0.metrics[k]
		}
		for _, k := range []string{"pairpad_rooms_loaded", "pairpad_peers_connected", "process_resident_memory_bytes"} {
			res.Metrics[k] = u1.metrics[k]
		}
	}
	res.Bottleneck = bottleneck(res.Server, res.Tool)
}

// bottleneck names the process that limited the run on this 2-core machine
// (server and tool pinned to one core each): one running its core at 85% or
// more, or a tool whose timers fire late, was the limit.
func bottleneck(s ProcUsage, t ToolUsage) string {
	toolLate := t.SchedLag != nil && t.SchedLag.P99 > 20
	switch {
	case s.Source != "none" && s.Util >= 0.85 && t.Util >= 0.85:
		return "both (server and load tool each near a full core)"
	case s.Source != "none" && s.Util >= 0.85:
		return "server (near a full core)"
	case t.Util >= 0.85 || toolLate:
		return "load tool (near a full core or its timers late): figures understate the server"
	case s.Source == "none":
		return "unknown (no server pid or metrics); load tool not saturated"
	}
	return fmt.Sprintf("neither (server %.0f%%, tool %.0f%% of a core)", s.Util*100, t.Util*100)
}

// WriteSummary prints the human summary.
func (res *Result) WriteSummary(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "pairload %s against %s (%s)", res.Scenario, res.Target, res.Trace)
	if res.Label != "" {
		fmt.Fprintf(&b, " [%s]", res.Label)
	}
	b.WriteString("\n")
	rate := "recorded pace"
	if res.Rate > 0 {
		rate = fmt.Sprintf("%g keys/s per typist", res.Rate)
	}
	if res.Rooms > 0 {
		thin := ""
		if res.ThinViewers {
			thin = fmt.Sprintf(" (all but %d thin)", fullViewers)
		}
		fmt.Fprintf(&b, "  rooms %d, typists/room %d, observers/room %d%s, %s, v2 advertised: %v\n", res.Rooms, res.Typists, res.Observers, thin, rate, res.AdvertiseV2)
	}
	if res.Latency != nil {
		l := res.Latency
		fmt.Fprintf(&b, "  keystrokes %d, deliveries %d: keystroke-to-peer p50 %.2f ms, p95 %.2f, p99 %.2f, max %.2f; lost %d, late(>%gs) %d\n",
			res.Keystrokes, res.Expected, l.P50, l.P95, l.P99, l.Max, res.Lost, res.LateAfterS, res.Late)
	}
	if res.Converged != nil {
		fmt.Fprintf(&b, "  converged: %v\n", *res.Converged)
	}
	fmt.Fprintf(&b, "  wire (client side, in+out): %.0f frames/s, %.0f B/s", res.FramesPerS, res.BytesPerS)
	if res.BytesPerKeystroke > 0 {
		fmt.Fprintf(&b, ", %.0f B per keystroke", res.BytesPerKeystroke)
	}
	b.WriteString("\n")
	s := res.Server
	fmt.Fprintf(&b, "  server (%s): cpu %.3f s (%.0f%% of a core)", s.Source, s.CPUS, s.Util*100)
	if s.CPUPerKeyMs > 0 {
		fmt.Fprintf(&b, ", %.3f ms per keystroke", s.CPUPerKeyMs)
	}
	fmt.Fprintf(&b, ", waited for a CPU %.3f s, peak rss %.1f MB\n", s.RunQueueWaitS, s.PeakRSSMB)
	t := res.Tool
	fmt.Fprintf(&b, "  load tool: cpu %.3f s (%.0f%% of a core), waited for a CPU %.3f s", t.CPUS, t.Util*100, t.RunQueueWaitS)
	if t.SchedLag != nil {
		fmt.Fprintf(&b, ", keystroke schedule lag p99 %.2f ms max %.2f", t.SchedLag.P99, t.SchedLag.Max)
	}
	if t.ProbeLag != nil {
		fmt.Fprintf(&b, ", sleep-probe lag p99 %.2f ms", t.ProbeLag.P99)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  bottleneck: %s\n", res.Bottleneck)
	if j := res.Join; j != nil {
		fmt.Fprintf(&b, "  join: room of %d changes (%d code points, saved %d B): median %.1f ms (document arrived at %.1f ms, Go client applied it in %.1f ms), %0.f B received (%.2fx saved); runs %v ms\n",
			j.Changes, j.TextRunes, j.SavedBytes, j.MedianMs, j.MedianArrivedMs, j.MedianApplyMs, j.MedianBytes, j.BytesToSaved, j.Ms)
	}
	if rr := res.Ramp; rr != nil {
		for _, st := range rr.Steps {
			fmt.Fprintf(&b, "  ramp %5d rooms: p50 %6.2f p99 %7.2f ms, late %d, server %3.0f%% (waited %3.0f%%), tool %3.0f%% (waited %3.0f%%), errors %d, ok %v\n",
				st.Rooms, st.Latency.P50, st.Latency.P99, st.Late, st.ServerUtil*100, st.ServerWait*100, st.ToolUtil*100, st.ToolWait*100, st.Errors, st.OK)
		}
		fmt.Fprintf(&b, "  ramp: held %d rooms at p99 <= %.0f ms; stopped: %s\n", rr.MaxRooms, rr.P99LimitMs, rr.StopReason)
	}
	if id := res.Idle; id != nil {
		fmt.Fprintf(&b, "  idle: rss baseline %.1f MB, %d rooms loaded %.1f MB (%.1f KB/room; %d connections, %.1f KB each), after all left %.1f MB (min %.1f) within %.0fs",
			id.BaselineMB, id.Rooms, id.LoadedMB, id.PerRoomKB, id.Conns, id.PerConnKB, id.AfterLeaveMB, id.MinAfterLeaveMB, id.SettleS)
		if id.UnloadS > 0 {
			fmt.Fprintf(&b, "; all saved+unloaded in %.2f s (%.0f saves)", id.UnloadS, id.Saves)
		}
		b.WriteString("\n")
	}
	if res.ErrorCount > 0 {
		fmt.Fprintf(&b, "  errors: %d, first: %s\n", res.ErrorCount, strings.Join(res.Errors, "; "))
	}
	io.WriteString(w, b.String())
}

func durMs(d time.Duration) float64 { return round(float64(d)/1e6, 2) }
