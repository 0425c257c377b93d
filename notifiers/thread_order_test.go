package notifiers

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/store"
)

// racingOutbox is a store whose first read about the story's thread or
// blockers, for the second alert, is followed at once by the first
// alert's delivery (its thread saved, then its delivery recorded): the
// moment another worker finishes the story's first message.
type racingOutbox struct {
	*store.Store
	once   sync.Once
	finish func()
}

func (r *racingOutbox) StoryThread(ctx context.Context, storyID, notifier string) (store.StoryThread, bool, error) {
	th, ok, err := r.Store.StoryThread(ctx, storyID, notifier)
	r.once.Do(r.finish)
	return th, ok, err
}

func (r *racingOutbox) StoryBlocker(ctx context.Context, storyID, notifier string, position int) (time.Time, bool, error) {
	next, blocked, err := r.Store.StoryBlocker(ctx, storyID, notifier, position)
	r.once.Do(r.finish)
	return next, blocked, err
}

// threadRecorder is a ThreadNotifier that records the threads it is given.
type threadRecorder struct{ got []Thread }

func (n *threadRecorder) Name() string                                { return "ops" }
func (n *threadRecorder) Notify(context.Context, Alert) (bool, error) { return false, nil }
func (n *threadRecorder) NotifyThread(_ context.Context, a Alert, th Thread) (Thread, bool, error) {
	n.got = append(n.got, th)
	if th.Root == "" {
		return Thread{Root: "ts-" + a.ID}, false, nil
	}
	return th, false, nil
}

// TestReplyRacingItsRoot delivers a story's second alert while the first
// one's delivery finishes between the dispatcher's reads: the second must
// wait or reply in the thread, never open a second one.
func TestReplyRacingItsRoot(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	var commits []store.Commit
	for i, id := range []string{"a1", "a2"} {
		commits = append(commits, store.Commit{
			Article: store.ArticleRecord{ID: id, Title: "t " + id, SeenAt: now},
			Alerts:  []store.NewAlert{{AlertID: "wf_" + id, Notifier: "ops", ArticleID: id, Rules: []string{"r"}, Payload: []byte(`{}`)}},
			Story:   &store.StoryMember{StoryID: "st_1", FirstAlertID: "wf_a1", FirstArticleID: "a1", Position: i + 1, ArticleID: id, AlertID: "wf_" + id, SeenAt: now},
		})
	}
	if _, err := st.CommitArticles(ctx, commits); err != nil {
		t.Fatal(err)
	}
	items, err := st.DueAlerts(ctx, now.Add(time.Minute), 0)
	if err != nil || len(items) != 2 {
		t.Fatalf("due: %v %v", items, err)
	}
	first, second := items[0], items[1]
	if first.ArticleID != "a1" {
		first, second = second, first
	}
	ob := &racingOutbox{Store: st, finish: func() {
		if err := st.SaveStoryThread(ctx, store.StoryThread{StoryID: "st_1", Notifier: "ops", Root: "ts-wf_a1", RootAlertID: "wf_a1", UpdatedAt: now}); err != nil {
			t.Error(err)
		}
		if err := st.MarkDelivered(ctx, first.ID, now); err != nil {
			t.Error(err)
		}
	}}
	d := NewDispatcher(ob, nil, DispatchOptions{})
	n := &threadRecorder{}
	a := Alert{ID: "wf_a2", Story: &Story{ID: "st_1", FirstAlertID: "wf_a1", Position: 2}}
	_, waited, err := d.notifyThread(ctx, ctx, second, n, a, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !waited && (len(n.got) != 1 || n.got[0].Root != "ts-wf_a1") {
		t.Errorf("the reply was not held nor threaded: threads given %+v", n.got)
	}
}
