package sync

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Metrics are the hub's counters, exported in Prometheus text format. All
// fields are safe for concurrent use.
type Metrics struct {
	RoomsLoaded        atomic.Int64
	PeersConnected     atomic.Int64
	FramesIn           atomic.Int64
	FramesOut          atomic.Int64
	BytesIn            atomic.Int64
	BytesOut           atomic.Int64
	FramesDropped      atomic.Int64
	Saves              atomic.Int64
	SaveErrors         atomic.Int64
	SaveConflicts      atomic.Int64
	SaveLockBusy       atomic.Int64 // snapshot saves that found another instance compacting the room (ErrCompactBusy)
	SaveNanos          atomic.Int64 // total time spent saving
	DirtyRooms         atomic.Int64
	FastJoins          atomic.Int64
	EarlyFastJoins     atomic.Int64 // served from stored bytes while the room loads
	AcksDeferred       atomic.Int64 // pure acknowledgements kept to apply later (peerSync.deferAck)
	CatchUps           atomic.Int64 // catch-up messages sent (room.answer)
	CatchUpsBuilt      atomic.Int64 // catch-up messages built (one per base and batch, shared by the peers at it)
	SlowConsumers      atomic.Int64
	WritesRefused      atomic.Int64 // sync messages with changes from peers that may not write (closed 4403)
	RoleNotices        atomic.Int64 // live role changes told to peers
	DriveRequests      atomic.Int64 // driver-mode requests from peers (drive.go)
	DriveRefused       atomic.Int64 // driver-mode requests refused (answered with an error)
	DriveChanges       atomic.Int64 // driver-mode state changes told to a room's peers
	LinkChangesOut     atomic.Int64 // link revocations/role changes published to other instances
	LinkChangesIn      atomic.Int64 // link revocations/role changes received from other instances
	Reclaims           atomic.Int64 // forced GC + C heap trims
	Compactions        atomic.Int64 // idle rooms reloaded from their saved form
	QuickSaves         atomic.Int64 // snapshots appended to the last full save (crdt.Doc.QuickSave)
	TextWarms          atomic.Int64 // texts walked right after a large paste (warmTextAfterPaste)
	RoomsAsleep        atomic.Int64 // loaded rooms whose document sleeps (compact.go)
	RoomSleeps         atomic.Int64
	RoomWakes          atomic.Int64
	BrokerOut          atomic.Int64 // messages published to other instances
	BrokerIn           atomic.Int64 // messages received from other instances
	BrokerDropped      atomic.Int64 // received messages dropped: the room's queue was full
	BrokerWants        atomic.Int64 // heads exchange: times a room asked another instance for changes it lacked
	BrokerRepairs      atomic.Int64 // heads exchange: times a room sent another instance changes it lacked
	EphemeralSenders   atomic.Int64 // senders whose ephemeral counts rooms remember (de-duplication)
	EphemeralForgotten atomic.Int64 // remote senders' de-duplication entries forgotten (silent, or over the bound)
	DocTooLarge        atomic.Int64 // changes refused by MaxDocBytes
	LoadsRefused       atomic.Int64 // rooms not opened, pastes refused: MaxMemory full
	CompactionsSkipped atomic.Int64 // idle rooms not compacted: MaxMemory has no room for the copy
	SyncSockets        atomic.Int64 // /sync sockets open
	SyncDocsOpen       atomic.Int64 // documents open on /sync sockets (summed over sockets)
	SyncDocsOpened     atomic.Int64 // documents opened on /sync sockets
	SyncDocsCreated    atomic.Int64 // documents created by peers' first changes
	SyncDocErrors      atomic.Int64 // /sync document-level refusals (bad id, access, limits, rejected sync)
	RemoteHeadsSent    atomic.Int64 // remote-heads-changed messages sent (gossip.go)
	RemoteSubsRefused  atomic.Int64 // remote-heads subscriptions ignored (MAX_REMOTE_SUBSCRIPTIONS, oversized ids)
	MemoryEstimate     func() int64 // set by the hub
	ClosedByCode       [5000]atomic.Int64
	DurabilityMetrics
	History HistoryMetrics // history endpoints (history.go)
	Imports atomic.Int64   // rooms created from an imported document
}

func (m *Metrics) observeSave(d time.Duration, err error) {
	m.Saves.Add(1)
	m.SaveNanos.Add(int64(d))
	if err != nil {
		m.SaveErrors.Add(1)
	}
}

func (m *Metrics) closed(code CloseCode) {
	if code >= 0 && int(code) < len(m.ClosedByCode) {
		m.ClosedByCode[code].Add(1)
	}
}

// WritePrometheus writes the metrics in Prometheus text exposition format.
func (m *Metrics) WritePrometheus(w io.Writer) {
	g := func(name, help, typ string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	g("pairpad_rooms_loaded", "Rooms held in memory.", "gauge", m.RoomsLoaded.Load())
	g("pairpad_peers_connected", "WebSocket peers joined to a room.", "gauge", m.PeersConnected.Load())
	g("pairpad_dirty_rooms", "Loaded rooms with unsaved changes.", "gauge", m.DirtyRooms.Load())
	g("pairpad_frames_in_total", "Frames received from peers.", "counter", m.FramesIn.Load())
	g("pairpad_frames_out_total", "Frames sent to peers.", "counter", m.FramesOut.Load())
	g("pairpad_bytes_in_total", "Bytes received from peers.", "counter", m.BytesIn.Load())
	g("pairpad_bytes_out_total", "Bytes sent to peers.", "counter", m.BytesOut.Load())
	g("pairpad_frames_dropped_total", "Frames dropped (wrong sender, duplicate ephemeral, unknown type).", "counter", m.FramesDropped.Load())
	g("pairpad_fast_joins_total", "Fresh peers served the whole document as one v2 message.", "counter", m.FastJoins.Load())
	g("pairpad_fast_joins_while_loading_total", "Fast joins served from the stored document while the room was still loading.", "counter", m.EarlyFastJoins.Load())
	g("pairpad_sync_acks_deferred_total", "Peers' pure acknowledgements taken without a call into automerge (the latest is applied when the peer's sync state is next used).", "counter", m.AcksDeferred.Load())
	g("pairpad_sync_catchups_sent_total", "Catch-up sync messages sent: the changes since heads a peer acknowledged, built once for all peers at them (no Generate per peer).", "counter", m.CatchUps.Load())
	g("pairpad_sync_catchups_built_total", "Catch-up sync messages built (each is sent to every peer due it in the same batch).", "counter", m.CatchUpsBuilt.Load())
	g("pairpad_slow_consumers_total", "Peers closed because they did not read fast enough.", "counter", m.SlowConsumers.Load())
	g("pairpad_writes_refused_total", "Sync messages carrying changes from peers whose role cannot write (closed with 4403, nothing applied).", "counter", m.WritesRefused.Load())
	g("pairpad_role_notices_total", "Live role changes sent to connected peers.", "counter", m.RoleNotices.Load())
	g("pairpad_drive_requests_total", "Driver-mode requests from peers (on, off, request, give, ...).", "counter", m.DriveRequests.Load())
	g("pairpad_drive_refused_total", "Driver-mode requests refused (the sender is told why).", "counter", m.DriveRefused.Load())
	g("pairpad_drive_changes_total", "Driver-mode state changes told to a room's peers (local and from other instances).", "counter", m.DriveChanges.Load())
	g("pairpad_link_changes_published_total", "Link revocations and role changes made here and published to the other instances (REDIS_URL).", "counter", m.LinkChangesOut.Load())
	g("pairpad_link_changes_received_total", "Link revocations and role changes made on other instances and applied here.", "counter", m.LinkChangesIn.Load())
	g("pairpad_memory_reclaims_total", "Forced GCs that release automerge's C memory (after unloads, and while busy).", "counter", m.Reclaims.Load())
	g("pairpad_rooms_asleep", "Loaded rooms whose automerge document sleeps (dropped while idle, reloaded from its saved form at the next message).", "gauge", m.RoomsAsleep.Load())
	g("pairpad_room_sleeps_total", "Idle rooms whose document was put to sleep.", "counter", m.RoomSleeps.Load())
	g("pairpad_room_wakes_total", "Sleeping documents loaded again for a message or request.", "counter", m.RoomWakes.Load())
	g("pairpad_text_warms_total", "Room texts walked right after applying a large paste, so that GET /text finds them cached.", "counter", m.TextWarms.Load())
	g("pairpad_quick_saves_total", "Snapshots of large live documents stored as their last full save plus the changes since, without walking the document.", "counter", m.QuickSaves.Load())
	g("pairpad_compactions_total", "Idle rooms whose document was reloaded from its compact saved form.", "counter", m.Compactions.Load())
	g("pairpad_broker_published_total", "Changes and ephemeral messages published to other instances.", "counter", m.BrokerOut.Load())
	g("pairpad_broker_received_total", "Changes and ephemeral messages received from other instances.", "counter", m.BrokerIn.Load())
	g("pairpad_broker_wants_total", "Heads exchange: times a room found it lacked another instance's changes and asked for them.", "counter", m.BrokerWants.Load())
	g("pairpad_broker_repairs_total", "Heads exchange: times a room sent another instance changes that instance lacked.", "counter", m.BrokerRepairs.Load())
	g("pairpad_broker_dropped_total", "Messages from other instances dropped because the room's queue (BrokerQueue) was full.", "counter", m.BrokerDropped.Load())
	g("pairpad_ephemeral_senders", "Senders whose ephemeral message counts the loaded rooms remember for de-duplication.", "gauge", m.EphemeralSenders.Load())
	g("pairpad_ephemeral_senders_forgotten_total", "De-duplication entries of senders on other instances forgotten: silent for 5 heads intervals, or a room over 1024 senders.", "counter", m.EphemeralForgotten.Load())
	g("pairpad_doc_too_large_total", "Changes refused because they would take a document over MAX_DOC_BYTES (the peer is closed with 4507).", "counter", m.DocTooLarge.Load())
	g("pairpad_room_loads_refused_total", "Rooms not opened and pastes refused because the memory budget (MAX_MEMORY) was full (503 or close 4503).", "counter", m.LoadsRefused.Load())
	g("pairpad_compactions_skipped_total", "Idle rooms not compacted because the memory budget (MAX_MEMORY) had no room for the reloaded copy.", "counter", m.CompactionsSkipped.Load())
	g("pairpad_sync_sockets", "WebSockets open on /sync.", "gauge", m.SyncSockets.Load())
	g("pairpad_sync_documents_open", "Documents open on /sync sockets, summed over sockets (divide by pairpad_sync_sockets for documents per socket).", "gauge", m.SyncDocsOpen.Load())
	g("pairpad_sync_documents_opened_total", "Documents opened on /sync sockets.", "counter", m.SyncDocsOpened.Load())
	g("pairpad_sync_documents_created_total", "Documents created by a /sync peer's first changes.", "counter", m.SyncDocsCreated.Load())
	g("pairpad_remote_heads_sent_total", "remote-heads-changed messages sent to peers subscribed to another peer's storage id.", "counter", m.RemoteHeadsSent.Load())
	g("pairpad_remote_subscriptions_refused_total", "Storage ids a remote-subscription-change asked for that were ignored (over MAX_REMOTE_SUBSCRIPTIONS per connection, or longer than 128 bytes).", "counter", m.RemoteSubsRefused.Load())
	g("pairpad_sync_document_errors_total", "Document-level refusals on /sync (invalid id, not allowed, SYNC_MAX_DOCS, rejected or refused changes); the socket stays open.", "counter", m.SyncDocErrors.Load())
	if m.MemoryEstimate != nil {
		g("pairpad_room_memory_estimate_bytes", "Estimated memory of the rooms in memory, against MAX_MEMORY.", "gauge", m.MemoryEstimate())
	}
	g("pairpad_saves_total", "Document saves attempted.", "counter", m.Saves.Load())
	g("pairpad_save_errors_total", "Document saves that failed (retried later).", "counter", m.SaveErrors.Load())
	g("pairpad_save_conflicts_total", "Saves that found another writer's version and merged it.", "counter", m.SaveConflicts.Load())
	g("pairpad_save_lock_busy_total", "Snapshot saves that found another instance compacting the same room (PostgreSQL advisory lock) and waited for it.", "counter", m.SaveLockBusy.Load())
	fmt.Fprintf(w, "# HELP pairpad_save_seconds_total Time spent saving documents.\n# TYPE pairpad_save_seconds_total counter\npairpad_save_seconds_total %g\n",
		time.Duration(m.SaveNanos.Load()).Seconds())
	m.DurabilityMetrics.writePrometheus(w)
	m.History.writePrometheus(g)
	g("pairpad_rooms_imported_total", "Rooms created from an imported Automerge document (POST /rooms, application/octet-stream).", "counter", m.Imports.Load())
	fmt.Fprintf(w, "# HELP pairpad_closes_total Connections closed, by close code.\n# TYPE pairpad_closes_total counter\n")
	for _, ci := range CloseTable {
		fmt.Fprintf(w, "pairpad_closes_total{code=\"%d\"} %d\n", ci.Code, m.ClosedByCode[ci.Code].Load())
	}
}
