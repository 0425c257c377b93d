// Package lognotify writes alerts as JSON lines (the webhook body) to a
// writer, usually standard output: the notifier of a fresh install. A
// digest is one line too, the pinned digest JSON.
package lognotify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/watchfloor/watchfloor/notifiers"
)

// Notifier writes one JSON line per alert.
type Notifier struct {
	name string
	mu   sync.Mutex
	w    io.Writer
}

// New returns a notifier called name writing to w.
func New(name string, w io.Writer) *Notifier { return &Notifier{name: name, w: w} }

// Name returns the destination name.
func (n *Notifier) Name() string { return n.name }

// Notify writes the alert; a write error is not retried.
func (n *Notifier) Notify(_ context.Context, a notifiers.Alert) (bool, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("log: encode: %w", err)
	}
	b = append(b, '\n')
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.w.Write(b); err != nil {
		return false, fmt.Errorf("log: write: %w", err)
	}
	return false, nil
}

// NotifyDigest writes the digest's payload, the pinned digest JSON, as one
// line; a write error is not retried.
func (n *Notifier) NotifyDigest(_ context.Context, _ notifiers.Digest, payload []byte) (bool, error) {
	line := make([]byte, 0, len(payload)+1)
	line = append(append(line, payload...), '\n')
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.w.Write(line); err != nil {
		return false, fmt.Errorf("log: write: %w", err)
	}
	return false, nil
}
