package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Scenarios the tool runs.
const (
	ScenarioPair      = "pair"
	ScenarioClassroom = "classroom"
	ScenarioJoin      = "join"
	ScenarioRamp      = "ramp"
	ScenarioIdle      = "idle"
)

// Targets: which server the tool drives.
const (
	TargetPairpad   = "pairpad"
	TargetReference = "reference"
)

// Config is one run of the tool. Only main reads flags into it.
type Config struct {
	Scenario string
	Target   string
	// URL is the server's base, http://127.0.0.1:PORT. Only loopback hosts
	// are accepted: this tool never sends traffic off the machine.
	URL string
	// ObserverURL (pairpad): observers connect here instead, another
	// instance of the same cluster. Loopback only too.
	ObserverURL string
	TracesDir   string
	Trace       string
	Language    string

	// pair and ramp: rooms of one typist and one observer.
	Rooms int
	// classroom: one room with Typists typists and Viewers viewers.
	Typists int
	Viewers int
	// ThinViewers: classroom viewers after the first FullViewers keep no
	// document (wireclient ClientOptions.Thin): the server does the same
	// work for them, the tool a fraction of it.
	ThinViewers bool

	// Rate is keystrokes per second per typist; 0 replays at the recorded
	// pace with pauses capped at MaxGap.
	Rate   float64
	MaxGap time.Duration
	// Duration of typing; then the tool waits up to Drain for observers.
	Duration  time.Duration
	Drain     time.Duration
	LateAfter time.Duration

	// join: the room holds the first Changes keystrokes of the trace (0:
	// all of them); Joins fresh peers open it one after another.
	Changes int
	Joins   int

	// ramp: start with RampStart rooms, add RampStep every RampStepDur,
	// until p99 passes RampP99, errors appear, or RampMax rooms.
	RampStart   int
	RampStep    int
	RampMax     int
	RampStepDur time.Duration
	RampP99     time.Duration
	// RampRetry measures a failed step once more before stopping.
	RampRetry bool

	// idle: Rooms rooms of one peer typing IdleKeys keystrokes, then left
	// idle; after all peers leave, memory is watched for Settle.
	IdleKeys int
	// IdlePeers: idle connections per room besides its typist (idle
	// scenario), to measure connections apart from rooms.
	IdlePeers int
	Settle    time.Duration
	// JoinCold (join, Pairpad): the seeding peer leaves first and every
	// fresh peer waits until the room is unloaded, so each join opens a
	// room the server must load from the database.
	JoinCold bool
	// IdleHold: how long the rooms sit idle before their memory is read
	// (long enough and Pairpad compacts them; see its COMPACT_AFTER).
	IdleHold time.Duration

	// Seed: apply the trace's bulk prefix (the file the session opened,
	// ~25 KB for rustcode) to every room before measuring. Off, rooms start
	// empty and typing starts right after the prefix.
	Seed bool
	// AdvertiseV2: "auto", "on" or "off" (see advertiseV2).
	AdvertiseV2 string
	ServerPID   int
	// MaxTime bounds the whole run, whatever the other settings.
	MaxTime time.Duration
	Out     string
	Label   string
}

// DefaultConfig is the configuration before flags.
func DefaultConfig() Config {
	return Config{
		Scenario: ScenarioPair, Target: TargetPairpad, Trace: "rustcode", Language: "rust",
		Rooms: 20, Typists: 2, Viewers: 50,
		Rate: 8, MaxGap: 2 * time.Second, Duration: 10 * time.Second, Drain: 5 * time.Second, LateAfter: time.Second,
		Changes: 0, Joins: 5,
		RampStart: 20, RampStep: 20, RampMax: 2000, RampStepDur: 5 * time.Second, RampP99: 50 * time.Millisecond, RampRetry: true,
		IdleKeys: 20, Settle: 20 * time.Second, IdleHold: 2 * time.Second,
		AdvertiseV2: "auto", MaxTime: 10 * time.Minute, Seed: true,
	}
}

// Validate checks the configuration and fills in the default URL.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch c.Scenario {
	case ScenarioPair, ScenarioClassroom, ScenarioJoin, ScenarioRamp, ScenarioIdle:
	default:
		bad("scenario %q: want pair, classroom, join, ramp or idle", c.Scenario)
	}
	switch c.Target {
	case TargetPairpad, TargetReference:
	default:
		bad("target %q: want pairpad or reference", c.Target)
	}
	if c.URL == "" {
		if c.Target == TargetReference {
			c.URL = "http://127.0.0.1:3030"
		} else {
			c.URL = "http://127.0.0.1:8080"
		}
	}
	if err := checkLoopbackURL(c.URL); err != nil {
		bad("url: %v", err)
	}
	if c.ObserverURL != "" {
		if err := checkLoopbackURL(c.ObserverURL); err != nil {
			bad("observer-url: %v", err)
		}
		if c.Target != TargetPairpad {
			bad("observer-url: only for -target pairpad (a scale-out cluster)")
		}
	}
	if c.Trace == "" {
		bad("trace: empty")
	}
	maxRooms := 5000
	if c.Scenario == "idle" {
		maxRooms = 10000 // idle peers cost the tool little (issue 16: 10,000 idle connections)
	}
	if c.Rooms < 1 || c.Rooms > maxRooms {
		bad("rooms %d: want 1..%d", c.Rooms, maxRooms)
	}
	if c.Typists < 1 || c.Typists > 8 {
		bad("typists %d: want 1..8", c.Typists)
	}
	if c.Viewers < 1 || c.Viewers > 1000 {
		bad("viewers %d: want 1..1000", c.Viewers)
	}
	if c.ThinViewers && c.Scenario != ScenarioClassroom {
		bad("-thin-viewers is for the classroom scenario, not %q", c.Scenario)
	}
	if c.Rate < 0 || c.Rate > 1000 {
		bad("rate %g: want 0 (recorded pace) or up to 1000 keys/s", c.Rate)
	}
	if c.Rate == 0 && c.MaxGap <= 0 {
		bad("max-gap must be > 0 when replaying at the recorded pace")
	}
	if c.Duration <= 0 || c.Duration > 10*time.Minute {
		bad("duration %v: want (0, 10m]", c.Duration)
	}
	if c.Drain <= 0 || c.Drain > time.Minute {
		bad("drain %v: want (0, 1m]", c.Drain)
	}
	if c.LateAfter <= 0 || c.LateAfter > c.Drain {
		bad("late %v: want (0, drain]", c.LateAfter)
	}
	if c.Changes < 0 {
		bad("changes %d: want >= 0", c.Changes)
	}
	if c.Joins < 1 || c.Joins > 100 {
		bad("joins %d: want 1..100", c.Joins)
	}
	if c.Scenario == ScenarioRamp {
		if c.RampStart < 1 || c.RampStep < 1 || c.RampMax < c.RampStart || c.RampMax > 5000 {
			bad("ramp rooms: start %d step %d max %d: want 1 <= start <= max <= 5000, step >= 1", c.RampStart, c.RampStep, c.RampMax)
		}
		if c.RampStepDur < 2*time.Second {
			bad("ramp-step-duration %v: want >= 2s (the first 0.5s and the last %v are not measured)", c.RampStepDur, c.LateAfter)
		}
		if c.RampStepDur <= c.LateAfter+time.Second {
			bad("ramp-step-duration %v must exceed late + 1s", c.RampStepDur)
		}
		if c.RampP99 <= 0 {
			bad("ramp-p99 must be > 0")
		}
	}
	if c.IdlePeers < 0 || c.IdlePeers > 10000 {
		bad("idle-peers %d: want 0..10000", c.IdlePeers)
	}
	if c.IdleKeys < 1 || c.IdleKeys > 10000 {
		bad("idle-keys %d: want 1..10000", c.IdleKeys)
	}
	if c.IdleHold < 0 || c.IdleHold > 5*time.Minute {
		bad("idle-hold %v: want [0, 5m]", c.IdleHold)
	}
	if c.Settle < 0 || c.Settle > 5*time.Minute {
		bad("settle %v: want [0, 5m]", c.Settle)
	}
	switch c.AdvertiseV2 {
	case "auto", "on", "off":
	default:
		bad("advertise-v2 %q: want auto, on or off", c.AdvertiseV2)
	}
	if c.ServerPID < 0 {
		bad("server-pid %d", c.ServerPID)
	}
	if c.MaxTime <= 0 || c.MaxTime > time.Hour {
		bad("max-time %v: want (0, 1h]", c.MaxTime)
	}
	return errors.Join(errs...)
}

// checkLoopbackURL accepts http(s)/ws(s) URLs whose host is localhost or a
// loopback address.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return fmt.Errorf("scheme %q: want http or ws", u.Scheme)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host %q is not loopback: this tool only drives servers on this machine (127.0.0.0/8, ::1, localhost)", host)
	}
	return nil
}

// advertiseV2 decides whether clients announce sync v2 support: for peers
// that create or type into a room, and for fresh peers that only receive a
// room (join). Pairpad answers a fresh v2 peer with one snapshot message
// (fast join) and otherwise speaks v1. The reference (automerge-repo 1.2 on
// automerge 2.2.9) answers every v2-capable peer in v2, including "need"
// lists that automerge-go (v1 only) cannot act on, so a peer that has
// changes to give it must not advertise; a fresh peer that has nothing can,
// and then receives the whole document at once, as stock JS 3.x clients do.
// "on" and "off" force both.
func (c *Config) advertiseV2() (writers, fresh bool) {
	switch c.AdvertiseV2 {
	case "on":
		return true, true
	case "off":
		return false, false
	}
	return c.Target == TargetPairpad, true
}
