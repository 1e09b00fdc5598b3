package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/wabascrm/scrm/models"
)

// Feed delivers every published event to this pod. Run blocks until ctx is
// done; it calls bound after each successful (re)subscription so the pod can
// replay what it may have missed while it was not subscribed.
type Feed interface {
	Run(ctx context.Context, deliver func(models.Event), bound func()) error
	Connected() bool
}

// dialAMQP opens a named connection (the name shows in rabbitmqctl and lets
// tests and operators find a pod's connections).
func dialAMQP(url, name string) (*amqp.Connection, error) {
	cfg := amqp.Config{
		Dial:       amqp.DefaultDial(5 * time.Second),
		Heartbeat:  10 * time.Second,
		Properties: amqp.Table{"connection_name": name},
	}
	return amqp.DialConfig(url, cfg)
}

func declareExchange(ch *amqp.Channel, name string) error {
	// Durable so that producers can publish before any pod starts.
	if err := ch.ExchangeDeclare(name, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", name, err)
	}
	return nil
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// backoff returns the wait before retry n (0-based): minWait doubling to maxWait.
func backoff(n int, minWait, maxWait time.Duration) time.Duration {
	d := minWait << min(n, 10)
	return min(d, maxWait)
}

// AMQPConsumer is the seed's fanout subscription: each pod declares its own
// exclusive queue (auto-declare-realtime-<id>), binds it to the fanout
// exchange and consumes. Exclusive queues are deleted by the broker when
// the connection closes, so a stopped or crashed pod leaves nothing behind
// (and exclusive queues stay allowed in RabbitMQ 4.x, unlike transient
// non-exclusive ones).
type AMQPConsumer struct {
	URL      string
	Exchange string
	// Name identifies the pod in connection and queue names.
	Name   string
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the wait between reconnects
	// (defaults 100ms and 5s; doubling).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Prefetch bounds unacked deliveries; we use auto-ack (the events table
	// is the truth), so it is only a flow-control window.
	Prefetch int

	connected atomic.Bool
	queue     atomic.Pointer[string]
}

// Connected reports whether the consumer is subscribed right now.
func (c *AMQPConsumer) Connected() bool { return c.connected.Load() }

// QueueName is the pod's current queue ("" when not subscribed).
func (c *AMQPConsumer) QueueName() string {
	if q := c.queue.Load(); q != nil {
		return *q
	}
	return ""
}

// Run subscribes, reconnecting with backoff until ctx is done.
func (c *AMQPConsumer) Run(ctx context.Context, deliver func(models.Event), bound func()) error {
	minWait, maxWait := c.MinBackoff, c.MaxBackoff
	if minWait <= 0 {
		minWait = 100 * time.Millisecond
	}
	if maxWait < minWait {
		maxWait = max(5*time.Second, minWait)
	}
	for attempt := 0; ; {
		err := c.session(ctx, deliver, bound)
		c.connected.Store(false)
		c.queue.Store(nil)
		if ctx.Err() != nil {
			return nil
		}
		c.Logger.Warn("realtime amqp subscription lost, reconnecting", "err", err, "attempt", attempt)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff(attempt, minWait, maxWait)):
		}
		// A session that came up resets the backoff.
		if err != nil && errors.Is(err, errSessionWasUp) {
			attempt = 0
		} else {
			attempt++
		}
	}
}

var errSessionWasUp = errors.New("subscription ended")

// session is one connection's life: dial, declare, bind, consume.
func (c *AMQPConsumer) session(ctx context.Context, deliver func(models.Event), bound func()) error {
	conn, err := dialAMQP(c.URL, "scrm-realtime-"+c.Name)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	// Closing the connection deletes the exclusive queue.
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("channel: %w", err)
	}
	if err := declareExchange(ch, c.Exchange); err != nil {
		return err
	}
	if c.Prefetch > 0 {
		if err := ch.Qos(c.Prefetch, 0, false); err != nil {
			return fmt.Errorf("qos: %w", err)
		}
	}
	name := "auto-declare-realtime-" + c.Name + "-" + randomID()
	q, err := ch.QueueDeclare(name, false, true, true, false, nil)
	if err != nil {
		return fmt.Errorf("declare queue: %w", err)
	}
	if err := ch.QueueBind(q.Name, "", c.Exchange, false, nil); err != nil {
		return fmt.Errorf("bind queue: %w", err)
	}
	tag := "realtime-" + c.Name
	msgs, err := ch.ConsumeWithContext(ctx, q.Name, tag, true, true, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	cancelled := ch.NotifyCancel(make(chan string, 1))
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	c.queue.Store(&q.Name)
	c.connected.Store(true)
	c.Logger.Info("realtime subscribed", "exchange", c.Exchange, "queue", q.Name)
	if bound != nil {
		bound()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-closed:
			return fmt.Errorf("%w: connection closed: %v", errSessionWasUp, e)
		case tag := <-cancelled:
			return fmt.Errorf("%w: consumer %s cancelled by broker", errSessionWasUp, tag)
		case d, ok := <-msgs:
			if !ok {
				return fmt.Errorf("%w: delivery channel closed", errSessionWasUp)
			}
			var e models.Event
			if err := json.Unmarshal(d.Body, &e); err != nil {
				c.Logger.Warn("realtime: undecodable event dropped", "err", err, "messageId", d.MessageId)
				continue
			}
			deliver(e)
		}
	}
}

// AMQPPublisher publishes stored events to the fanout exchange with
// publisher confirms. It implements models.EventPublisher, is safe for
// concurrent use and reconnects on demand after a connection loss.
type AMQPPublisher struct {
	url, exchange, name string
	timeout             time.Duration

	mu   sync.Mutex // guards conn/ch and serialises reconnects
	conn *amqp.Connection
	ch   *amqp.Channel
}

var _ models.EventPublisher = (*AMQPPublisher)(nil)

// NewAMQPPublisher returns a publisher; it connects on first use. name shows
// in the broker's connection list.
func NewAMQPPublisher(url, exchange, name string) *AMQPPublisher {
	return &AMQPPublisher{url: url, exchange: exchange, name: name, timeout: 5 * time.Second}
}

func (p *AMQPPublisher) channel() (*amqp.Channel, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch != nil && !p.ch.IsClosed() && !p.conn.IsClosed() {
		return p.ch, nil
	}
	if p.conn != nil {
		_ = p.conn.Close()
		p.conn, p.ch = nil, nil
	}
	conn, err := dialAMQP(p.url, "scrm-publisher-"+p.name)
	if err != nil {
		return nil, fmt.Errorf("publisher dial: %w", err)
	}
	ch, err := conn.Channel()
	if err == nil {
		err = declareExchange(ch, p.exchange)
	}
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("publisher channel: %w", err)
	}
	p.conn, p.ch = conn, ch
	return ch, nil
}

// Publish sends events and waits for the broker's confirms. On a broken
// connection it reconnects and retries once; a final failure is returned
// (nothing is lost: clients resync from the events table).
func (p *AMQPPublisher) Publish(ctx context.Context, events ...models.Event) error {
	if len(events) == 0 {
		return nil
	}
	var err error
	for try := 0; try < 2; try++ {
		if err = p.publishOnce(ctx, events); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (p *AMQPPublisher) publishOnce(ctx context.Context, events []models.Event) error {
	ch, err := p.channel()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	confirms := make([]*amqp.DeferredConfirmation, 0, len(events))
	for _, e := range events {
		body, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %d: %w", e.ID, err)
		}
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, p.exchange, "", false, false, amqp.Publishing{
			ContentType: "application/json",
			MessageId:   strconv.FormatInt(e.ID, 10),
			Type:        e.Type,
			Timestamp:   e.TS,
			Body:        body,
		})
		if err != nil {
			return fmt.Errorf("publish event %d: %w", e.ID, err)
		}
		confirms = append(confirms, dc)
	}
	for i, dc := range confirms {
		ok, err := dc.WaitContext(ctx)
		if err != nil {
			return fmt.Errorf("confirm event %d: %w", events[i].ID, err)
		}
		if !ok {
			return fmt.Errorf("broker nacked event %d", events[i].ID)
		}
	}
	return nil
}

// Close closes the publisher's connection.
func (p *AMQPPublisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn, p.ch = nil, nil
	return err
}
