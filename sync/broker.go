package sync

// Broker connects the rooms of several Pairpad instances that serve the same
// room id: each room publishes the Automerge changes its own peers sent and
// its peers' ephemeral messages, and receives what other instances' rooms
// published. With no broker configured (Config.Broker nil) a room is alone,
// as before.
//
// Implementations must be safe for concurrent use. Publish is called from a
// room's goroutine and must not block on I/O: queue, and drop (counting it)
// when the queue is full; a dropped change is repaired by the next sync, as
// peers resend what the other side lacks.
type Broker interface {
	// Publish hands msg (with Origin set to this instance) to the other
	// instances subscribed to msg.Room.
	Publish(msg BrokerMessage) error
	// Subscribe delivers every message published for room by another
	// instance to deliver, in publish order, until unsubscribe is called.
	// deliver must not block for long. Messages whose Origin is origin (this
	// instance's own) are not delivered.
	Subscribe(room, origin string, deliver func(BrokerMessage)) (unsubscribe func(), err error)
}

// BrokerKind says what a BrokerMessage carries.
type BrokerKind uint8

// Broker message kinds.
const (
	// BrokerChanges: Data is Automerge changes (concatenated change chunks,
	// as Doc.Merge accepts them).
	BrokerChanges BrokerKind = iota + 1
	// BrokerEphemeral: Data is one encoded ephemeral protocol frame, as a
	// peer of the publishing instance sent it.
	BrokerEphemeral
	// BrokerHeads: Data is the publishing room's heads (32-byte change
	// hashes, concatenated), sent every HeadsInterval while it is active.
	BrokerHeads
	// BrokerWant: Data is the asking room's heads; the instance named in To
	// answers with BrokerChanges since them.
	BrokerWant
	// BrokerLink: Data is a link change (links.go), published on LinksTopic
	// to every instance: a revocation or a new role for a share link.
	BrokerLink
	// BrokerPairing: Data is the room's driver-mode state (drive.go, JSON),
	// published on every change and on heads ticks while the mode is on.
	BrokerPairing

	// brokerTick never crosses a broker: it is the room's own heads-exchange
	// timer, queued with other instances' messages.
	brokerTick BrokerKind = 255
)

// LinksTopic is the broker "room" every hub subscribes to for link changes
// (revocations, role changes): they concern connections to a room on any
// instance, including instances that have not loaded the room yet. Room ids
// are base58 document ids, so "~links" is never one.
const LinksTopic = "~links"

// BrokerMessage is one message between instances.
type BrokerMessage struct {
	// Origin is the publishing instance's id (its hub's PeerID).
	Origin string
	// To, when set, is the only instance the message is for.
	To   string
	Room string
	Kind BrokerKind
	Data []byte
}
