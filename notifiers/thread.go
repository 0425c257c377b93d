package notifiers

import (
	"context"
	"log/slog"
	"time"

	"github.com/watchfloor/watchfloor/store"
)

// Thread is where a destination keeps the alerts of one story together:
// for Slack, the thread under the story's first message.
type Thread struct {
	// Root is the destination's id of the story's first message there (a
	// Slack ts); "" when the destination has none yet.
	Root string
	// State is what the notifier keeps between the messages of a story
	// (what it has shown, to tell what is new); the Dispatcher stores it
	// and hands it back without reading it.
	State []byte
}

// ThreadNotifier is a Notifier that keeps the alerts of a story together.
// For an alert with a Story, the Dispatcher calls NotifyThread instead of
// Notify, with the story's thread at this destination (a zero Thread for
// the story's first alert there). NotifyThread makes one attempt, as
// Notify does; when it succeeds, the Thread it returns is stored with the
// story and given to the story's next alert, across retries and
// restarts. A Root it returns for a first message stays the thread's
// root; a notifier that cannot thread returns a zero Thread.
type ThreadNotifier interface {
	Notifier
	NotifyThread(ctx context.Context, a Alert, th Thread) (next Thread, retry bool, err error)
}

// ThreadOutbox is an Outbox that keeps the threads of stories; the
// Dispatcher threads alerts only over one. *store.Store implements it.
type ThreadOutbox interface {
	StoryThread(ctx context.Context, storyID, notifier string) (store.StoryThread, bool, error)
	SaveStoryThread(ctx context.Context, th store.StoryThread) error
	StoryBlocker(ctx context.Context, storyID, notifier string, position int) (next time.Time, blocked bool, err error)
	Postpone(ctx context.Context, id int64, next time.Time) error
}

// notifyThread delivers an alert of a story through a ThreadNotifier, in
// the story's order at that destination:
//
//   - while an alert of an earlier article of the story to the same
//     destination is pending (not yet delivered, maybe being retried), the
//     alert waits: its next attempt is put off, no attempt is counted, and
//     waited is true. So a reply never goes out before the message it
//     replies to, and each reply is compared with everything shown
//     before it. A dead letter does not hold up the alerts after it: the
//     first of them that is delivered opens the thread instead, with a
//     full message;
//   - once the attempt succeeds, the thread is stored (its root the first
//     time) before the delivery is recorded. If the process stops in
//     between, the alert is found to be the thread's root when it is
//     tried again, and recorded as delivered without a second message.
func (d *Dispatcher) notifyThread(ctx, rctx context.Context, it store.OutboxItem, tn ThreadNotifier, a Alert, log *slog.Logger) (retry, waited bool, err error) {
	tob, ok := d.ob.(ThreadOutbox)
	if !ok {
		retry, err = tn.Notify(ctx, a)
		return retry, false, err
	}
	s := a.Story
	// The earlier alerts are looked at before the thread: an earlier
	// alert delivered meanwhile saved the thread before its delivery was
	// recorded, so once none is pending the thread read next is the one it
	// opened. The other order lets a reply read "no thread" just before
	// the root is saved, then "nothing pending" just after it is
	// delivered, and post a second full message.
	next, blocked, err := tob.StoryBlocker(ctx, s.ID, it.Notifier, s.Position)
	if err != nil {
		return true, false, err
	}
	th, found, err := tob.StoryThread(ctx, s.ID, it.Notifier)
	if err != nil {
		return true, false, err
	}
	if found && th.RootAlertID == a.ID {
		return false, false, nil // posted before the delivery was recorded
	}
	if blocked {
		at := d.o.Now()
		if next.After(at) {
			at = next
		}
		at = at.Add(d.o.MinBackoff)
		if err := tob.Postpone(rctx, it.ID, at); err != nil {
			log.Error("putting off an alert that waits for an earlier one of its story", "err", err)
		}
		log.Debug("alert waits for an earlier alert of its story", "story", s.ID, "position", s.Position, "until", at)
		return false, true, nil
	}
	res, retry, err := tn.NotifyThread(ctx, a, Thread{Root: th.Root, State: th.State})
	if err != nil {
		return retry, false, err
	}
	if !found && res.Root == "" {
		return false, false, nil // the destination cannot thread
	}
	save := store.StoryThread{StoryID: s.ID, Notifier: it.Notifier, Root: res.Root, RootAlertID: a.ID, State: res.State, UpdatedAt: d.o.Now()}
	if found {
		save.Root, save.RootAlertID = th.Root, th.RootAlertID
	}
	if err := tob.SaveStoryThread(rctx, save); err != nil {
		log.Error("recording the thread of a story; its next alert may start a new thread", "story", s.ID, "err", err)
	}
	return false, false, nil
}
