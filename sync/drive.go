package sync

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/sync/wire"
)

// Driver and navigator mode (issue 14). While it is on, one peer of a room,
// the driver, may change the document; every other peer is a navigator and
// is treated as a viewer for the document: a sync message carrying changes
// from it is refused like a viewer's (closed with 4403, nothing applied).
//
// Peers steer the mode with ephemeral messages to the server, data = CBOR
// {"t": "pairpad/drive", "op": OP, "to": PEER, "name": NAME, "rotate": S}:
//
//	on      start the mode with the sender driving (editors and owners)
//	off     end it (the owner or the driver)
//	request ask for the keyboard (editors and owners); with no driver, take it
//	cancel  withdraw one's request
//	give    hand the keyboard to "to" (the driver or the owner; "to" must be
//	        a requester or a peer of the room that may write)
//	rotate  set the strong-style rotation reminder to "rotate" seconds
//	        (0 off; the driver or the owner)
//	hello   nothing changes: the sender is told the state
//
// These messages are never forwarded to other peers. The room answers every
// change with the state, sent to each of its peers as an ephemeral message
// from the server's peer id: CBOR {"t": "pairpad/pairing", "on", "driver",
// "since" (unix ms the driver took the keyboard), "rotate", "requests":
// [peer ids], "names": {peer id: name}, "version"}; a refused op is answered
// to its sender alone, with "error" saying why.
//
// The state lives in the room's memory while the room is loaded (an empty
// room forgets it). With a broker, every change is published to the other
// instances holding the room, and re-published on every heads tick while
// the mode is on, so an instance that loads the room later learns it within
// HEADS_INTERVAL; concurrent changes on two instances resolve by (version,
// instance id), the higher wins.

// DriveTag marks a peer's driver-mode request; PairingTag the server's state.
const (
	DriveTag   = "pairpad/drive"
	PairingTag = "pairpad/pairing"
)

// defaultDriveGrace (Config.DriveGrace, DRIVE_GRACE): for this long after
// the keyboard changes hands (or the mode starts), changes from any peer
// that may write are still accepted: they were typed before its client
// heard of the change.
const defaultDriveGrace = 2 * time.Second

// driverReclaim: a driver whose connection dropped gets the keyboard back
// when it reconnects within this long and nobody took it meanwhile.
const driverReclaim = 30 * time.Second

// Bounds on what a peer can put into the state.
const (
	maxDriveRequests  = 32
	maxDriveNameRunes = 64
	maxRotateSeconds  = 24 * 60 * 60
	maxDriveMessage   = 4 << 10
)

// driveState is a room's driver mode; the exported fields travel between
// instances (JSON in a BrokerPairing message).
type driveState struct {
	On       bool              `json:"on" cbor:"on"`
	Driver   string            `json:"driver,omitempty" cbor:"driver"`
	Since    int64             `json:"since,omitempty" cbor:"since"`
	Rotate   int               `json:"rotate,omitempty" cbor:"rotate"`
	Requests []string          `json:"requests,omitempty" cbor:"requests"`
	Names    map[string]string `json:"names,omitempty" cbor:"names"`
	Version  uint64            `json:"version" cbor:"version"`
	Origin   string            `json:"origin,omitempty" cbor:"-"`
}

// roomDrive is the room's part (owned by run).
type roomDrive struct {
	state    driveState
	grace    time.Time // changes from any writer accepted until then
	lastDrv  string    // the driver whose connection dropped
	leftAt   time.Time
	noticeCt uint64
}

type driveRequest struct {
	T      string `cbor:"t"`
	Op     string `cbor:"op"`
	To     string `cbor:"to"`
	Name   string `cbor:"name"`
	Rotate int    `cbor:"rotate"`
}

// isDriveMessage: a cheap test before decoding (most ephemeral messages are
// presence).
func isDriveMessage(msg wire.Message) bool {
	return msg.TargetID != "" && len(msg.Data) <= maxDriveMessage && bytes.Contains(msg.Data, []byte(DriveTag))
}

// mayChange says whether p's changes are accepted now: its role writes and,
// in driver mode, it drives (or the keyboard changed hands just now).
func (r *room) mayChange(p *peer, ps *peerSync, now time.Time) bool {
	if !ps.role.CanWrite() {
		return false
	}
	d := &r.drive
	return !d.state.On || d.state.Driver == p.id || now.Before(d.grace)
}

// handleDrive takes a peer's driver-mode request; false: msg is not one (it
// is forwarded as any ephemeral message).
func (r *room) handleDrive(p *peer, ps *peerSync, msg wire.Message) bool {
	var req driveRequest
	if err := cbor.Unmarshal(msg.Data, &req); err != nil || req.T != DriveTag {
		return false
	}
	r.hub.metrics.DriveRequests.Add(1)
	if msg.TargetID != r.hub.peerID {
		return true // meant for the server; never forwarded
	}
	if errMsg := r.applyDrive(p, ps, req, time.Now()); errMsg != "" {
		r.hub.metrics.DriveRefused.Add(1)
		p.log.Debug("driver-mode request refused", zap.String("op", req.Op), zap.String("why", errMsg))
		r.sendPairing(p, errMsg)
	}
	return true
}

// applyDrive applies one request; it returns why it was refused, or "".
func (r *room) applyDrive(p *peer, ps *peerSync, req driveRequest, now time.Time) string {
	d := &r.drive
	st := &d.state
	if req.Op == "hello" {
		r.sendPairing(p, "")
		return ""
	}
	if !ps.role.CanWrite() {
		return "viewers cannot drive"
	}
	owner := ps.role == RoleOwner
	driver := st.On && st.Driver == p.id
	before := *st
	name := boundName(req.Name)
	switch req.Op {
	case "on":
		if st.On {
			return "driver mode is already on"
		}
		if req.Rotate < 0 || req.Rotate > maxRotateSeconds {
			return "rotate must be 0 to 86400 seconds"
		}
		*st = driveState{On: true, Driver: p.id, Since: now.UnixMilli(), Rotate: req.Rotate,
			Names: map[string]string{}, Version: st.Version}
	case "off":
		if !st.On {
			return "driver mode is off"
		}
		if !owner && !driver {
			return "only the owner or the driver can end driver mode"
		}
		*st = driveState{Version: st.Version}
	case "request":
		if !st.On {
			return "driver mode is off"
		}
		if driver {
			return "you are driving"
		}
		if st.Driver == "" {
			r.setDriver(p.id, now)
			break
		}
		if !slices.Contains(st.Requests, p.id) {
			if len(st.Requests) >= maxDriveRequests {
				return "too many people are waiting for the keyboard"
			}
			st.Requests = append(st.Requests, p.id)
		}
	case "cancel":
		if !slices.Contains(st.Requests, p.id) {
			return "you have not asked for the keyboard"
		}
		st.Requests = slices.DeleteFunc(st.Requests, func(id string) bool { return id == p.id })
	case "give":
		if !st.On {
			return "driver mode is off"
		}
		if !owner && !driver {
			return "only the driver or the owner can hand over the keyboard"
		}
		if !r.mayReceiveKeyboard(req.To) {
			return "the keyboard can go only to someone in the room who may edit"
		}
		r.setDriver(req.To, now)
	case "rotate":
		if !st.On {
			return "driver mode is off"
		}
		if !owner && !driver {
			return "only the driver or the owner can set the rotation"
		}
		if req.Rotate < 0 || req.Rotate > maxRotateSeconds {
			return "rotate must be 0 to 86400 seconds"
		}
		st.Rotate = req.Rotate
	default:
		return "unknown driver-mode operation " + quoteBounded(req.Op)
	}
	if st.On && name != "" {
		r.nameDriveParticipant(p.id, name)
	}
	if st.On != before.On || st.Driver != before.Driver {
		// Only a new driver (or a new mode) makes edits in flight legitimate.
		d.grace = now.Add(r.hub.cfg.DriveGrace)
	}
	r.driveChanged()
	return ""
}

// mayReceiveKeyboard: id asked for the keyboard, or is a local peer that may
// write.
func (r *room) mayReceiveKeyboard(id string) bool {
	if id == "" {
		return false
	}
	if slices.Contains(r.drive.state.Requests, id) {
		return true
	}
	p := r.byID[id]
	if p == nil {
		return false
	}
	ps := r.peers[p]
	return ps != nil && ps.role.CanWrite()
}

func (r *room) setDriver(id string, now time.Time) {
	st := &r.drive.state
	st.Driver = id
	st.Since = now.UnixMilli()
	st.Requests = slices.DeleteFunc(st.Requests, func(x string) bool { return x == id })
	r.drive.lastDrv = ""
}

func (r *room) nameDriveParticipant(id, name string) {
	st := &r.drive.state
	if st.Names == nil {
		st.Names = map[string]string{}
	}
	st.Names[id] = name
	// Keep only the names of people the state mentions.
	for k := range st.Names {
		if k != st.Driver && !slices.Contains(st.Requests, k) && r.byID[k] == nil {
			delete(st.Names, k)
		}
	}
}

// driveChanged: a local change: bump the version, tell the peers and the
// other instances.
func (r *room) driveChanged() {
	st := &r.drive.state
	st.Version++
	st.Origin = r.hub.peerID
	r.broadcastPairing()
	r.publishDrive()
}

// driveLeft: p left the room; it no longer asks for the keyboard and, if it
// drove, the keyboard is free (it gets it back if it returns within
// driverReclaim and nobody took it).
func (r *room) driveLeft(p *peer) {
	st := &r.drive.state
	if !st.On || r.byID[p.id] != nil {
		return
	}
	changed := false
	if st.Driver == p.id {
		st.Driver = ""
		r.drive.lastDrv, r.drive.leftAt = p.id, time.Now()
		changed = true
	}
	if slices.Contains(st.Requests, p.id) {
		st.Requests = slices.DeleteFunc(st.Requests, func(x string) bool { return x == p.id })
		changed = true
	}
	if changed {
		r.driveChanged()
	}
}

// driveJoined: a driver coming back within driverReclaim gets its keyboard.
func (r *room) driveJoined(p *peer) {
	d := &r.drive
	if d.state.On && d.state.Driver == "" && d.lastDrv == p.id && time.Since(d.leftAt) < driverReclaim {
		r.setDriver(p.id, time.Now())
		d.grace = time.Now().Add(r.hub.cfg.DriveGrace)
		r.driveChanged()
	}
}

// applyRemoteDrive takes another instance's state when it is newer.
func (r *room) applyRemoteDrive(m BrokerMessage) {
	var st driveState
	if err := json.Unmarshal(m.Data, &st); err != nil || len(st.Requests) > maxDriveRequests || len(st.Names) > 2*maxDriveRequests+2 {
		r.log.Warn("driver-mode state from another instance rejected", zap.Error(err))
		return
	}
	st.Origin = m.Origin
	cur := r.drive.state
	if st.Version < cur.Version || (st.Version == cur.Version && st.Origin <= cur.Origin) {
		return
	}
	if st.Driver != cur.Driver || st.On != cur.On {
		r.drive.grace = time.Now().Add(r.hub.cfg.DriveGrace)
	}
	r.drive.state = st
	r.broadcastPairing()
}

func (r *room) publishDrive() {
	if r.hub.cfg.Broker == nil {
		return
	}
	data, err := json.Marshal(r.drive.state)
	if err != nil {
		return
	}
	r.publish(BrokerMessage{Kind: BrokerPairing, Data: data})
}

// driveTick re-publishes the state while the mode is on (heads tick).
func (r *room) driveTick() {
	if r.drive.state.On || r.drive.state.Version > 0 && len(r.peers) > 0 {
		r.publishDrive()
	}
}

type pairingNotice struct {
	T string `cbor:"t"`
	driveState
	Error string `cbor:"error,omitempty"`
}

func (r *room) pairingFrame(p *peer, errMsg string) (wire.Message, bool) {
	n := pairingNotice{T: PairingTag, driveState: r.drive.state, Error: errMsg}
	if n.Requests == nil {
		n.Requests = []string{}
	}
	if n.Names == nil {
		n.Names = map[string]string{}
	}
	data, err := cbor.Marshal(n)
	if err != nil {
		return wire.Message{}, false
	}
	count := r.hub.pairingNotices.Add(1)
	return wire.Message{Type: wire.TypeEphemeral, SenderID: r.hub.peerID, TargetID: p.id, DocumentID: r.id,
		SessionID: r.hub.peerID + "-pairing", Count: &count, Data: data}, true
}

// sendPairing tells p the state (and, when errMsg is set, why its request
// was refused).
func (r *room) sendPairing(p *peer, errMsg string) {
	if msg, ok := r.pairingFrame(p, errMsg); ok {
		r.send(p, msg)
		if ps := r.peers[p]; ps != nil {
			ps.pairingSent = true
		}
	}
}

func (r *room) broadcastPairing() {
	r.hub.metrics.DriveChanges.Add(1)
	if st := r.drive.state; st.On {
		r.driverNow.Store(&st.Driver)
	} else {
		r.driverNow.Store(nil)
	}
	for p := range r.peers {
		r.sendPairing(p, "")
	}
}

// pairingOnFirstSync: a peer that has started syncing learns the state of a
// room where the mode was ever used (its handle exists by then).
func (r *room) pairingOnFirstSync(p *peer, ps *peerSync) {
	if !ps.pairingSent && r.drive.state.Version > 0 {
		r.sendPairing(p, "")
	}
}

func boundName(s string) string {
	if !utf8.ValidString(s) {
		return ""
	}
	s = string(bytes.ReplaceAll([]byte(s), []byte{0}, nil))
	if utf8.RuneCountInString(s) > maxDriveNameRunes {
		s = string([]rune(s)[:maxDriveNameRunes])
	}
	return s
}

func quoteBounded(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return "\"" + s + "\""
}
