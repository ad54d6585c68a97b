package sync

// RedisBroker connects Pairpad instances through Redis pub/sub.
//
// Why pub/sub and not Streams: a room's messages are only useful to the
// instances holding the room right now, and the durable history already lives
// in the database (snapshot + change log). Pub/sub costs Redis no memory per
// room and delivers with one hop; Streams would keep a per-room log in Redis
// that must be trimmed, and each instance would need to XREAD every stream of
// every room it holds. Pub/sub's weakness — a message published while an
// instance is disconnected or too slow is lost — is repaired by the heads
// exchange (roombroker.go): every HeadsInterval each active room publishes
// its heads and an instance that lacks some asks for the changes since its
// own heads. So loss costs latency, never divergence.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// RedisMetrics count the Redis traffic of one instance.
type RedisMetrics struct {
	Published      atomic.Int64 // messages published
	PublishedBytes atomic.Int64 // payload bytes published
	PublishErrors  atomic.Int64 // publishes Redis refused or that failed on the network
	PublishDropped atomic.Int64 // messages not published: the outgoing queue was full (or the test hook)
	Received       atomic.Int64 // messages received from other instances
	ReceivedBytes  atomic.Int64 // payload bytes received
	Rejected       atomic.Int64 // received messages that did not decode
	LagNanos       atomic.Int64 // sum of publish-to-receive lag of received messages
	LagMaxNanos    atomic.Int64 // largest lag seen
	Reconnects     atomic.Int64 // subscription connection failures (go-redis reconnects and resubscribes)
}

// WritePrometheus writes the metrics in the text exposition format.
func (m *RedisMetrics) WritePrometheus(w io.Writer) {
	g := func(name, help, typ string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %g\n", name, help, name, typ, name, v)
	}
	g("pairpad_redis_published_total", "Messages published to Redis.", "counter", float64(m.Published.Load()))
	g("pairpad_redis_published_bytes_total", "Bytes published to Redis.", "counter", float64(m.PublishedBytes.Load()))
	g("pairpad_redis_publish_errors_total", "Publishes to Redis that failed.", "counter", float64(m.PublishErrors.Load()))
	g("pairpad_redis_publish_dropped_total", "Messages not published because the outgoing queue (REDIS_QUEUE) was full; the heads exchange repairs them.", "counter", float64(m.PublishDropped.Load()))
	g("pairpad_redis_received_total", "Messages received from other instances through Redis.", "counter", float64(m.Received.Load()))
	g("pairpad_redis_received_bytes_total", "Bytes received from other instances through Redis.", "counter", float64(m.ReceivedBytes.Load()))
	g("pairpad_redis_rejected_total", "Messages from Redis that did not decode.", "counter", float64(m.Rejected.Load()))
	g("pairpad_redis_lag_seconds_sum", "Sum of publish-to-receive lag (clocks of the instances must agree).", "counter", float64(m.LagNanos.Load())/1e9)
	g("pairpad_redis_lag_seconds_max", "Largest publish-to-receive lag seen.", "gauge", float64(m.LagMaxNanos.Load())/1e9)
	g("pairpad_redis_reconnects_total", "Failures of the subscription connection (go-redis reconnects and resubscribes).", "counter", float64(m.Reconnects.Load()))
}

// RedisOptions configure a RedisBroker.
type RedisOptions struct {
	// URL is a redis:// or rediss:// URL (REDIS_URL).
	URL string
	// Prefix starts every channel name ("pairpad:" when empty); tests use a
	// random one so they can share a Redis.
	Prefix string
	// Queue is how many outgoing messages wait for Redis (REDIS_QUEUE);
	// over it messages are dropped and counted. Default 4096.
	Queue int
	Log   *zap.Logger
}

// RedisBroker is a Broker over Redis pub/sub: one channel per room.
type RedisBroker struct {
	client  *redis.Client
	ps      *redis.PubSub
	prefix  string
	log     *zap.Logger
	metrics *RedisMetrics
	out     chan redisOut
	ctx     context.Context
	cancel  context.CancelFunc
	wg      stdsync.WaitGroup
	drop    atomic.Bool

	mu   stdsync.Mutex
	subs map[string]map[*memorySub]struct{} // channel → local subscribers
}

type redisOut struct {
	channel string
	payload []byte
}

// NewRedisBroker connects to Redis (checking it answers) and starts the
// subscription reader and the publisher.
func NewRedisBroker(ctx context.Context, o RedisOptions) (*RedisBroker, error) {
	opt, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if o.Prefix == "" {
		o.Prefix = "pairpad:"
	}
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if opt.ClientName == "" {
		// Named connections are easy to find in CLIENT LIST.
		opt.ClientName = strings.TrimSuffix(o.Prefix, ":")
	}
	client := redis.NewClient(opt)
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis unreachable: %w", err)
	}
	b := &RedisBroker{client: client, prefix: o.Prefix, log: o.Log, metrics: &RedisMetrics{},
		out: make(chan redisOut, o.Queue), subs: map[string]map[*memorySub]struct{}{}}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.ps = client.Subscribe(b.ctx)
	b.wg.Add(2)
	go b.publishLoop()
	go b.receiveLoop()
	return b, nil
}

// ClientName is the name the broker's Redis connections carry (CLIENT LIST).
func (b *RedisBroker) ClientName() string { return b.client.Options().ClientName }

// Metrics returns the broker's counters.
func (b *RedisBroker) Metrics() *RedisMetrics { return b.metrics }

// Ping checks Redis answers (for /readyz).
func (b *RedisBroker) Ping(ctx context.Context) error { return b.client.Ping(ctx).Err() }

// SetDropPublishes makes Publish drop every message while on: a test hook
// standing for lost pub/sub messages.
func (b *RedisBroker) SetDropPublishes(on bool) { b.drop.Store(on) }

// Close stops the broker and closes its connections.
func (b *RedisBroker) Close() error {
	b.cancel()
	err := b.ps.Close()
	b.wg.Wait()
	if e := b.client.Close(); err == nil {
		err = e
	}
	return err
}

func (b *RedisBroker) channel(room string) string { return b.prefix + "room:" + room }

// Publish queues msg for Redis; it never blocks.
func (b *RedisBroker) Publish(msg BrokerMessage) error {
	if b.drop.Load() {
		b.metrics.PublishDropped.Add(1)
		return nil
	}
	select {
	case b.out <- redisOut{channel: b.channel(msg.Room), payload: encodeRedis(msg, time.Now())}:
		return nil
	default:
		b.metrics.PublishDropped.Add(1)
		return errors.New("redis publish queue full; message dropped (the heads exchange repairs it)")
	}
}

func (b *RedisBroker) publishLoop() {
	defer b.wg.Done()
	for {
		select {
		case <-b.ctx.Done():
			return
		case o := <-b.out:
			if err := b.client.Publish(b.ctx, o.channel, o.payload).Err(); err != nil {
				if b.ctx.Err() != nil {
					return
				}
				b.metrics.PublishErrors.Add(1)
				b.log.Warn("redis publish failed", zap.Error(err))
				continue
			}
			b.metrics.Published.Add(1)
			b.metrics.PublishedBytes.Add(int64(len(o.payload)))
		}
	}
}

// Subscribe registers deliver for room's messages from other origins.
func (b *RedisBroker) Subscribe(room, origin string, deliver func(BrokerMessage)) (func(), error) {
	ch := b.channel(room)
	s := &memorySub{origin: origin, deliver: deliver}
	b.mu.Lock()
	first := b.subs[ch] == nil
	if first {
		b.subs[ch] = map[*memorySub]struct{}{}
	}
	b.subs[ch][s] = struct{}{}
	b.mu.Unlock()
	if first {
		if err := b.ps.Subscribe(b.ctx, ch); err != nil {
			b.mu.Lock()
			delete(b.subs[ch], s)
			if len(b.subs[ch]) == 0 {
				delete(b.subs, ch)
			}
			b.mu.Unlock()
			return nil, fmt.Errorf("redis subscribe: %w", err)
		}
	}
	var once stdsync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs[ch], s)
			last := len(b.subs[ch]) == 0
			if last {
				delete(b.subs, ch)
			}
			b.mu.Unlock()
			if last {
				// A Subscribe racing here re-subscribes after us; the
				// subscription set is the union of calls, so at worst a
				// channel stays subscribed with no local subscriber.
				_ = b.ps.Unsubscribe(b.ctx, ch)
			}
		})
	}, nil
}

func (b *RedisBroker) receiveLoop() {
	defer b.wg.Done()
	for {
		msg, err := b.ps.ReceiveTimeout(b.ctx, 5*time.Second)
		if b.ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				_ = b.ps.Ping(b.ctx) // keep the connection checked while idle
				continue
			}
			b.metrics.Reconnects.Add(1)
			b.log.Warn("redis subscription failed; reconnecting", zap.Error(err))
			select {
			case <-b.ctx.Done():
				return
			case <-time.After(200 * time.Millisecond): // back-off before go-redis redials
			}
			continue
		}
		m, ok := msg.(*redis.Message)
		if !ok {
			continue
		}
		bm, sent, err := decodeRedis([]byte(m.Payload))
		if err != nil {
			b.metrics.Rejected.Add(1)
			continue
		}
		b.mu.Lock()
		var targets []*memorySub
		for s := range b.subs[m.Channel] {
			if s.origin != bm.Origin && (bm.To == "" || bm.To == s.origin) {
				targets = append(targets, s)
			}
		}
		b.mu.Unlock()
		if len(targets) == 0 {
			continue
		}
		b.metrics.Received.Add(1)
		b.metrics.ReceivedBytes.Add(int64(len(m.Payload)))
		if lag := time.Since(sent); lag > 0 {
			b.metrics.LagNanos.Add(int64(lag))
			for {
				cur := b.metrics.LagMaxNanos.Load()
				if int64(lag) <= cur || b.metrics.LagMaxNanos.CompareAndSwap(cur, int64(lag)) {
					break
				}
			}
		}
		bm.Room = m.Channel[len(b.prefix)+len("room:"):]
		for _, s := range targets {
			s.deliver(bm)
		}
	}
}

// Wire format of a Redis message: version 1, kind, send time (unix nanos,
// 8 bytes), origin and target as uvarint-length strings, then the data.
func encodeRedis(m BrokerMessage, now time.Time) []byte {
	out := make([]byte, 0, 2+8+2*binary.MaxVarintLen64+len(m.Origin)+len(m.To)+len(m.Data))
	out = append(out, 1, byte(m.Kind))
	out = binary.BigEndian.AppendUint64(out, uint64(now.UnixNano()))
	out = binary.AppendUvarint(out, uint64(len(m.Origin)))
	out = append(out, m.Origin...)
	out = binary.AppendUvarint(out, uint64(len(m.To)))
	out = append(out, m.To...)
	return append(out, m.Data...)
}

var errRedisMessage = errors.New("malformed redis message")

func decodeRedis(p []byte) (BrokerMessage, time.Time, error) {
	var m BrokerMessage
	if len(p) < 10 || p[0] != 1 {
		return m, time.Time{}, errRedisMessage
	}
	m.Kind = BrokerKind(p[1])
	sent := time.Unix(0, int64(binary.BigEndian.Uint64(p[2:10])))
	p = p[10:]
	str := func() (string, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return "", false
		}
		s := string(p[k : k+int(n)])
		p = p[k+int(n):]
		return s, true
	}
	var ok bool
	if m.Origin, ok = str(); !ok {
		return m, sent, errRedisMessage
	}
	if m.To, ok = str(); !ok {
		return m, sent, errRedisMessage
	}
	m.Data = append([]byte(nil), p...)
	return m, sent, nil
}
